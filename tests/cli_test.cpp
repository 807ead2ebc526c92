#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cli_helpers.hpp"

using parbench::test::run_parbench;
using ::testing::HasSubstr;

namespace {

TEST(cli_pi, all_backends_agree) {
  const auto r = run_parbench("pi --backend all --workers 3 --samples 1e6+3 --seed 5");
  EXPECT_EQ(r.exit_code, 2) << "1e6+3 is not a number";
  const auto ok = run_parbench("pi --backend all --workers 3 --samples 1000003 --seed 5");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("all backends agree"));
  EXPECT_THAT(ok.output, HasSubstr("serial"));
}

struct bad_input {
  const char* args;
  int exit_code;
  const char* message;
};

class cli_bad_input : public ::testing::TestWithParam<bad_input> {};

TEST_P(cli_bad_input, exits_with_a_clear_message) {
  const auto& c = GetParam();
  const auto r = run_parbench(c.args);
  EXPECT_EQ(r.exit_code, c.exit_code) << c.args << "\n" << r.output;
  EXPECT_THAT(r.output, HasSubstr(c.message)) << c.args;
}

INSTANTIATE_TEST_SUITE_P(
    catalogue, cli_bad_input,
    ::testing::Values(bad_input{"pi --samples 0", 2, "must be at least 1"},
                      bad_input{"pi --samples -5", 2, "must be positive"},
                      bad_input{"pi --samples abc", 2, "expected a positive whole number"},
                      bad_input{"pi --samples 12abc", 2, "'12abc'"},
                      bad_input{"pi --samples ''", 2, "--samples"},
                      bad_input{"pi --samples 1e30", 2, "too large"},
                      bad_input{"pi --samples 18446744073709551616", 2, "too large"},
                      bad_input{"pi --samples 2.5", 2, "not a whole number"},
                      bad_input{"pi --workers 0", 2, "at least 1"},
                      bad_input{"pi --workers -1", 2, "must be positive"},
                      bad_input{"pi --workers x", 2, "from 1 to 1024"},
                      bad_input{"pi --workers 100000", 2, "at most 1024"},
                      bad_input{"pi --backend nope", 2, "unknown backend 'nope'; choose from: serial"},
                      bad_input{"pi --backend serial,serial", 2, "listed twice"},
                      bad_input{"pi --backend ''", 2, "empty --backend list"},
                      bad_input{"pi --rng mt", 2, "choose philox"},
                      bad_input{"pi --bogus", 2, "--bogus"},
                      bad_input{"pi --samples", 2, "--samples"},
                      bad_input{"", 2, "subcommand"}));

TEST(cli_list, matches_the_registry) {
  const auto r = run_parbench("list");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* name : {"serial", "threads"}) EXPECT_THAT(r.output, HasSubstr(name));
  EXPECT_THAT(r.output, HasSubstr("kernel path:"));
}

}  // namespace
