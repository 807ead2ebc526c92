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

// The bad-input catalogue (bad numbers, backends, flags) lives in tests/reliability_test.cpp.

TEST(cli_list, matches_the_registry) {
  const auto r = run_parbench("list");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* name : {"serial", "threads"}) EXPECT_THAT(r.output, HasSubstr(name));
  EXPECT_THAT(r.output, HasSubstr("kernel path:"));
}

}  // namespace
