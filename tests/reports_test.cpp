#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/report_columns.hpp"
#include "reports/report_reader.hpp"
#include "reports/report_writer.hpp"

using namespace parbench;
using ::testing::HasSubstr;

namespace {

const std::vector<std::string> awkward = {
    "plain", "with,comma", "with \"quotes\"", "line\nbreak", "crlf\r\nbreak", "=1+2", "+cmd", "-2+3", "@SUM(A1)",
    "\ttab", "'quoted already", "''", "", "ünïcödé", "trailing space ", ",", "\"", "=HYPERLINK(\"x\",\"y\")"};

bench::result_row sample_row(std::string error, unsigned rep) {
  bench::result_row r;
  r.kernel_version = 1;
  r.rng = "philox";
  r.isa = "avx2";
  r.backend = "threads";
  r.kind = "backend";
  r.scaling = "strong";
  r.workers = 3;
  r.threads_per_rank = 3;
  r.samples = 1000003;
  r.seed = std::numeric_limits<std::uint64_t>::max();
  r.row_type = "raw";
  r.repetition = rep;
  r.status = error.empty() ? "ok" : "failed";
  r.error = std::move(error);
  r.hits = 785398;
  r.wall_s = 0.1;  // not exactly representable: must come back bit-exact
  r.cpu_s = 1.0 / 3.0;
  r.samples_per_s = 1e7 + 0.5;
  r.karp_flatt = -0.012345678901234567;
  return r;
}

TEST(csv, awkward_text_round_trips_through_writer_and_reader) {
  reports::csv_writer w;
  w.raw("value");
  w.end_row();
  for (const auto& s : awkward) {
    w.text(s);
    w.end_row();
  }
  const auto t = reports::parse_csv(w.str(), "mem.csv");
  ASSERT_EQ(t.rows.size(), awkward.size());
  for (std::size_t i = 0; i < awkward.size(); ++i) EXPECT_EQ(t.rows[i][0], awkward[i]) << i;
}

TEST(csv, formula_cells_are_guarded_and_numbers_are_not) {
  EXPECT_EQ(reports::csv_guard_text("=1+2"), "'=1+2");
  EXPECT_EQ(reports::csv_guard_text("@x"), "'@x");
  EXPECT_EQ(reports::csv_guard_text("'x"), "''x");
  EXPECT_EQ(reports::csv_guard_text("serial"), "serial");
  reports::csv_writer w;
  w.text("=cmd|' /C calc'!A0").raw(reports::csv_number(std::optional<double>(-0.5)));
  w.end_row();
  EXPECT_EQ(w.str(), "'=cmd|' /C calc'!A0,-0.5\r\n");
}

TEST(csv, quoting_follows_rfc_4180) {
  EXPECT_EQ(reports::csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(reports::csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(reports::csv_quote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(reports::csv_quote("plain"), "plain");
  // LF-only files, a missing final line end and empty cells are accepted.
  const auto t = reports::parse_csv("a,b,c\n1,,\"x\"\n,2,", "lf.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "", "x"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"", "2", ""}));
  EXPECT_EQ(t.cell(1, "b"), "2");
  // A blank line is skipped; a quoted empty cell is a value.
  const auto blank = reports::parse_csv("a,b\r\n\r\n1,2\r\n", "blank.csv");
  ASSERT_EQ(blank.rows.size(), 1u);
  const auto one = reports::parse_csv("a\r\n\"\"\r\nx\r\n", "one.csv");
  ASSERT_EQ(one.rows.size(), 2u);
  EXPECT_EQ(one.rows[0][0], "");
}

struct bad_csv {
  const char* text;
  const char* where;
  const char* problem;
};

class csv_errors : public ::testing::TestWithParam<bad_csv> {};

TEST_P(csv_errors, name_file_line_and_column) {
  const auto& c = GetParam();
  try {
    (void)reports::parse_csv(c.text, "bad.csv");
    FAIL() << "accepted: " << c.text;
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(c.where));
    EXPECT_THAT(e.what(), HasSubstr(c.problem));
  }
  const auto r = reports::try_parse_csv(c.text, "bad.csv");
  EXPECT_TRUE(r.problem.has_value());
}

INSTANTIATE_TEST_SUITE_P(
    catalogue, csv_errors,
    ::testing::Values(bad_csv{"", "bad.csv:1:1", "empty file"},
                      bad_csv{"a,b\r\n1,2,3\r\n", "bad.csv:2:1", "3 fields but the header has 2"},
                      bad_csv{"a,b\r\n1,\"open\r\n", "bad.csv:2:3", "not closed"},
                      bad_csv{"a,b\r\n1,x\"y\r\n", "bad.csv:2:4", "inside an unquoted field"},
                      bad_csv{"a,b\r\n\"q\"z,1\r\n", "bad.csv:2:4", "after a closing quote"},
                      bad_csv{"a,,c\r\n", "bad.csv:1:3", "header cell 2 is empty"},
                      bad_csv{"a,b\r1,2", "bad.csv:1:4", "carriage return"}));

TEST(results_csv, round_trip_is_exact_with_awkward_errors) {
  std::vector<bench::result_row> rows;
  for (unsigned i = 0; i < awkward.size(); ++i) rows.push_back(sample_row(awkward[i], i));
  bench::result_row agg = sample_row("", 0);
  agg.row_type = "aggregate";
  agg.repetition.reset();
  agg.repetitions = 7;
  agg.speedup = 1.9999999999999998;
  agg.wall_s_cv = std::numeric_limits<double>::denorm_min();
  rows.push_back(agg);

  const auto back = reports::parse_results(reports::to_csv(rows), "results.csv");
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const auto& c : reports::result_columns())
      EXPECT_EQ(c.get(back[i]), c.get(rows[i])) << "row " << i << " column " << c.name;
  }
  EXPECT_EQ(back[0].wall_s, 0.1);
  EXPECT_EQ(back[0].cpu_s, 1.0 / 3.0);
  EXPECT_EQ(back.back().speedup, 1.9999999999999998);
  EXPECT_FALSE(back.back().repetition.has_value());
  EXPECT_FALSE(back[0].speedup.has_value());
  EXPECT_EQ(reports::field(back.back(), "repetitions"), "7");
  EXPECT_THROW((void)reports::field(back[0], "no_such_column"), usage_error);
}

TEST(results_csv, reader_rejects_bad_cells_with_position) {
  std::string text = reports::to_csv(std::vector<bench::result_row>{sample_row("", 0)});
  const std::string good = text;
  text.replace(text.find("1000003"), 7, "1e6x");
  try {
    (void)reports::parse_results(text, "r.csv");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("r.csv:2:"));
    EXPECT_THAT(e.what(), HasSubstr("samples"));
    EXPECT_THAT(e.what(), HasSubstr("'1e6x'"));
  }
  std::string v2 = good;
  v2.replace(v2.find("\r\n1,") + 2, 1, "2");
  EXPECT_THROW((void)reports::parse_results(v2, "r.csv"), usage_error);
  std::string no_col = good;
  no_col.replace(0, std::string("schema_version").size(), "version");
  try {
    (void)reports::parse_results(no_col, "r.csv");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing column 'schema_version'"));
  }
  EXPECT_THROW((void)reports::read_results("/nonexistent/results.csv"), usage_error);
}

TEST(overhead_and_break_even_csv, round_trip) {
  bench::overhead_row o;
  o.mechanism = "fork + pipe + waitpid";
  o.backend = "fork";
  o.workers = 4;
  o.median_us = 123.456789012345678;
  o.parent_rss_bytes = 1u << 30;
  const auto ob = reports::parse_overhead(reports::to_csv(std::vector{o}), "o.csv");
  ASSERT_EQ(ob.size(), 1u);
  EXPECT_EQ(ob[0].mechanism, o.mechanism);
  EXPECT_EQ(ob[0].median_us, o.median_us);
  EXPECT_EQ(ob[0].parent_rss_bytes, o.parent_rss_bytes);

  bench::break_even_row b;
  b.backend = "threads";
  b.rng = "light";
  b.workers = 2;
  b.sizes_tried = "65536;262144";
  bench::break_even_row never = b;
  b.break_even_samples = 262144;
  const auto bb = reports::parse_break_even(reports::to_csv(std::vector{b, never}), "b.csv");
  ASSERT_EQ(bb.size(), 2u);
  EXPECT_EQ(bb[0].break_even_samples, 262144u);
  EXPECT_FALSE(bb[1].break_even_samples.has_value());
}

// Column names listed in the table under "## <file>" in docs/report-format.md.
std::vector<std::string> documented_columns(const std::string& file) {
  std::ifstream in(std::string(PARBENCH_SOURCE_DIR) + "/docs/report-format.md");
  std::string line;
  bool in_section = false;
  std::vector<std::string> out;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## " + file;
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    out.push_back(line.substr(3, end - 3));
  }
  return out;
}

template <class Row>
std::vector<std::string> names(const std::vector<reports::column<Row>>& columns) {
  std::vector<std::string> out;
  out.reserve(columns.size());
  for (const auto& c : columns) out.emplace_back(c.name);
  return out;
}

TEST(schema_doc, matches_the_writers_columns) {
  EXPECT_EQ(documented_columns("results.csv"), names(reports::result_columns()));
  EXPECT_EQ(documented_columns("overhead.csv"), names(reports::overhead_columns()));
  EXPECT_EQ(documented_columns("break_even.csv"), names(reports::break_even_columns()));
  // And the header the writer actually emits.
  const std::string header = reports::to_csv(std::vector<bench::result_row>{}).substr(0, 40);
  EXPECT_EQ(header.rfind("schema_version,kernel,kernel_version,", 0), 0u) << header;
}

}  // namespace
