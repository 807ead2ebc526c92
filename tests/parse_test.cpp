#include "core/parse.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.hpp"

using namespace parbench;
using ::testing::HasSubstr;

namespace {

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(parse_count, accepts_integers_and_exact_scientific_forms) {
  EXPECT_EQ(parse_count("1"), 1u);
  EXPECT_EQ(parse_count("1000000"), 1000000u);
  EXPECT_EQ(parse_count("1e9"), 1000000000u);
  EXPECT_EQ(parse_count("2.5e6"), 2500000u);
  EXPECT_EQ(parse_count("1E3"), 1000u);
  EXPECT_EQ(parse_count("9223372036854775808"), std::uint64_t{1} << 63);
}

TEST(parse_count, rejects_bad_input_with_a_reason) {
  EXPECT_THAT(error_of([] { parse_count("0"); }), HasSubstr("at least 1"));
  EXPECT_THAT(error_of([] { parse_count("-5"); }), HasSubstr("must be positive"));
  EXPECT_THAT(error_of([] { parse_count("abc"); }), HasSubstr("expected a positive whole number"));
  EXPECT_THAT(error_of([] { parse_count("12abc"); }), HasSubstr("'12abc'"));
  EXPECT_THAT(error_of([] { parse_count(""); }), HasSubstr("--samples"));
  EXPECT_THAT(error_of([] { parse_count("1e30"); }), HasSubstr("too large"));
  EXPECT_THAT(error_of([] { parse_count("18446744073709551616"); }), HasSubstr("too large"));
  EXPECT_THAT(error_of([] { parse_count("9223372036854775809"); }), HasSubstr("too large"));
  EXPECT_THAT(error_of([] { parse_count("2.5"); }), HasSubstr("not a whole number"));
  EXPECT_THAT(error_of([] { parse_count("1.5e0"); }), HasSubstr("not a whole number"));
  EXPECT_THAT(error_of([] { parse_count("nan"); }), HasSubstr("expected"));
}

TEST(parse_workers, bounds) {
  EXPECT_EQ(parse_workers("1"), 1u);
  EXPECT_EQ(parse_workers("1024"), 1024u);
  EXPECT_THAT(error_of([] { parse_workers("0"); }), HasSubstr("at least 1"));
  EXPECT_THAT(error_of([] { parse_workers("-1"); }), HasSubstr("must be positive"));
  EXPECT_THAT(error_of([] { parse_workers("x"); }), HasSubstr("from 1 to 1024"));
  EXPECT_THAT(error_of([] { parse_workers("100000"); }), HasSubstr("at most 1024"));
  EXPECT_THAT(error_of([] { parse_workers("99999999999999999999999"); }), HasSubstr("at most 1024"));
}

TEST(parse_lists, ranges_and_duplicates) {
  EXPECT_EQ(parse_worker_list("1,2,4"), (std::vector<unsigned>{1, 2, 4}));
  EXPECT_EQ(parse_worker_list("1-4"), (std::vector<unsigned>{1, 2, 3, 4}));
  EXPECT_EQ(parse_worker_list("2-16:2"), (std::vector<unsigned>{2, 4, 6, 8, 10, 12, 14, 16}));
  EXPECT_EQ(parse_worker_list("1,4-11:3"), (std::vector<unsigned>{1, 4, 7, 10}));
  EXPECT_EQ(parse_worker_list("1000-1024:1024"), (std::vector<unsigned>{1000}));
  EXPECT_THAT(error_of([] { parse_worker_list("1-8:0"); }), HasSubstr("must be at least 1"));
  EXPECT_THAT(error_of([] { parse_worker_list("1-8:x"); }), HasSubstr("invalid value 'x'"));
  EXPECT_THAT(error_of([] { parse_worker_list("1-3,2-4:2"); }), HasSubstr("2 appears twice"));
  EXPECT_EQ(parse_count_list("1e6,1e7"), (std::vector<std::uint64_t>{1000000, 10000000}));
  EXPECT_EQ(parse_count_list("10-30:10"), (std::vector<std::uint64_t>{10, 20, 30}));
  EXPECT_THAT(error_of([] { parse_worker_list("1,1"); }), HasSubstr("appears twice"));
  EXPECT_THAT(error_of([] { parse_worker_list("4-1"); }), HasSubstr("low to high"));
  EXPECT_THAT(error_of([] { parse_worker_list(""); }), HasSubstr("expected a list"));
  EXPECT_THAT(error_of([] { parse_count_list("1,,2"); }), HasSubstr("empty item"));
}

TEST(parse_misc, positions_are_one_based_lines_and_columns) {
  EXPECT_EQ(position_in("abc", 0).line, 1u);
  EXPECT_EQ(position_in("abc", 0).column, 1u);
  EXPECT_EQ(position_in("abc", 2).column, 3u);
  const text_position p = position_in("ab\ncd\nef", 7);
  EXPECT_EQ(p.line, 3u);
  EXPECT_EQ(p.column, 2u);
  const text_position end = position_in("ab\nc", 999);
  EXPECT_EQ(end.line, 2u);
  EXPECT_EQ(end.column, 2u);
}

TEST(parse_misc, seconds_bytes_seed) {
  EXPECT_DOUBLE_EQ(parse_seconds("0.5", "--timeout"), 0.5);
  EXPECT_THAT(error_of([] { parse_seconds("-1", "--timeout"); }), HasSubstr("--timeout"));
  EXPECT_EQ(parse_bytes("1GiB", "--parent-memory"), std::uint64_t{1} << 30);
  EXPECT_EQ(parse_bytes("100MB", "--parent-memory"), 100000000u);
  EXPECT_THAT(error_of([] { parse_bytes("1XB", "--parent-memory"); }), HasSubstr("unknown unit"));
  EXPECT_EQ(parse_u64("18446744073709551615", "--seed"), ~std::uint64_t{0});
  EXPECT_THAT(error_of([] { parse_u64("18446744073709551616", "--seed"); }), HasSubstr("too large"));
}

}  // namespace

// Regressions found by fuzz/parse_fuzz.cpp (inputs kept in fuzz/corpus/fuzz_parse/*_regression).
TEST(parse_regressions, range_at_the_top_of_the_count_range_ends) {
  const auto top = std::uint64_t{1} << 63;
  EXPECT_EQ(parse_count_list("9223372036854775808-9223372036854775808:9223372036854775808"),
            (std::vector<std::uint64_t>{top}));
  EXPECT_EQ(parse_count_list("9223372036854775806-9223372036854775808:2"), (std::vector<std::uint64_t>{top - 2, top}));
}

TEST(parse_regressions, seconds_below_a_millisecond_and_non_decimal_forms_are_rejected) {
  EXPECT_DOUBLE_EQ(parse_seconds("1e-3", "--timeout"), 0.001);
  for (const char* bad : {"10e-9", "0.0001", "0", "0x1p3", "infinity", "nan", "1e8", "\n5"})
    EXPECT_THAT(error_of([bad] { parse_seconds(bad, "--timeout"); }), HasSubstr("--timeout")) << bad;
}
