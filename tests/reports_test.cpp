#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/markdown_text.hpp"
#include "reports/report_columns.hpp"
#include "reports/report_reader.hpp"
#include "reports/report_writer.hpp"

using namespace parbench;
using ::testing::HasSubstr;

namespace {

const std::vector<std::string> awkward = {"plain",
                                          "with,comma",
                                          "with \"quotes\"",
                                          "line\nbreak",
                                          "crlf\r\nbreak",
                                          "=1+2",
                                          "+cmd",
                                          "-2+3",
                                          "@SUM(A1)",
                                          "\ttab",
                                          "'quoted already",
                                          "''",
                                          "",
                                          "ünïcödé",
                                          "trailing space ",
                                          ",",
                                          "\"",
                                          "=HYPERLINK(\"x\",\"y\")"};

bench::result_row sample_row(std::string error, unsigned rep) {
  bench::result_row r;
  r.kernel = "imbalanced";
  r.kernel_version = 1;
  r.params = "profile=ramp;max_weight=16;rng=philox";
  r.isa = "avx2";
  r.backend = "threads";
  r.kind = "backend";
  r.schedule = "dynamic:4";
  r.scaling = "strong";
  r.workers = 3;
  r.workers_used = 2;
  r.threads_per_rank = 3;
  r.size = 1000003;
  r.unit = "samples";
  r.seed = std::numeric_limits<std::uint64_t>::max();
  r.row_type = "raw";
  r.repetition = rep;
  r.status = error.empty() ? "ok" : "failed";
  r.error = std::move(error);
  r.result = "785398;8500011";
  r.items = 8500011;
  r.bytes = 0;
  r.wall_s = 0.1;  // not exactly representable: must come back bit-exact
  r.cpu_s = 1.0 / 3.0;
  r.items_per_s = 1e7 + 0.5;
  r.bytes_per_s = 0.0;
  r.items_per_s_per_worker = (1e7 + 0.5) / 3;
  r.karp_flatt = -0.012345678901234567;
  return r;
}

// A row with every field set (aggregate): each column of the schema has a value.
bench::result_row full_aggregate() {
  bench::result_row r = sample_row("timed out, 1 of 8 repetitions", 0);
  r.row_type = "aggregate";
  r.repetition = 0;
  r.repetitions = 7;
  r.wall_s_mean = 0.11;
  r.wall_s_stddev = 0.01;
  r.wall_s_min = 0.09;
  r.wall_s_max = 0.13;
  r.wall_s_cv = 0.01 / 0.11;
  r.speedup = 1.9999999999999998;
  r.speedup_min = 1.5;
  r.speedup_max = 2.5;
  r.efficiency = 2.0 / 3.0;
  r.static_bound = 1.7777777777777777;
  r.steps = 100;
  r.setup_s = 0.125;
  r.sync_per_step_s = 2.5e-6;
  r.sync_per_step_s_min = -1.25e-6;
  r.sync_per_step_s_max = 4.5e-6;
  r.load1_start = 0.75;
  r.other_cpu = 0.125;
  r.steal = 0.0625;
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

INSTANTIATE_TEST_SUITE_P(catalogue, csv_errors,
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
    EXPECT_THAT(e.what(), HasSubstr("column size"));
    EXPECT_THAT(e.what(), HasSubstr("'1e6x'"));
  }
  // A newer schema than this parbench's is refused, naming the versions it reads.
  const std::string current = "\r\n" + std::to_string(bench::schema_version) + ",";
  std::string newer = good;
  newer.replace(newer.find(current) + 2, current.size() - 3, std::to_string(bench::schema_version + 1));
  try {
    (void)reports::parse_results(newer, "r.csv");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("r.csv:2:1: schema_version " + std::to_string(bench::schema_version + 1) +
                                    " is not supported"));
  }
  // An older version's number under the current columns: one file holds one schema.
  const auto two = reports::to_csv(std::vector<bench::result_row>{sample_row("", 0), sample_row("", 1)});
  std::string mixed = two;
  mixed.replace(mixed.rfind(current) + 2, current.size() - 3, std::to_string(bench::oldest_schema_version));
  try {
    (void)reports::parse_results(mixed, "r.csv");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("r.csv:3:1:"));
    EXPECT_THAT(e.what(), HasSubstr("one file holds one schema"));
  }
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
  b.kernel = "imbalanced";
  b.params = "profile=heavy;max_weight=16;rng=light";
  b.backend = "threads";
  b.schedule = "static";
  b.workers = 2;
  b.unit = "samples";
  b.sizes_tried = "65536;262144";
  bench::break_even_row never = b;
  b.break_even_size = 262144;
  const auto bb = reports::parse_break_even(reports::to_csv(std::vector{b, never}), "b.csv");
  ASSERT_EQ(bb.size(), 2u);
  for (const auto& c : reports::break_even_columns()) {
    EXPECT_EQ(c.get(bb[0]), c.get(b)) << c.name;
    EXPECT_EQ(c.get(bb[1]), c.get(never)) << c.name;
  }
  EXPECT_EQ(bb[0].break_even_size, 262144u);
  EXPECT_FALSE(bb[1].break_even_size.has_value());
}

TEST(results_csv, every_current_column_round_trips) {
  const bench::result_row full = full_aggregate();
  const auto back = reports::parse_results(reports::to_csv(std::vector{full}), "results.csv");
  ASSERT_EQ(back.size(), 1u);
  for (const auto& c : reports::result_columns()) {
    EXPECT_FALSE(c.get(full).empty()) << c.name << " has no value in the test row";
    EXPECT_EQ(c.get(back[0]), c.get(full)) << c.name;
  }
  EXPECT_EQ(back[0].schema_version, bench::schema_version);
  EXPECT_EQ(back[0].static_bound, full.static_bound);
  EXPECT_EQ(back[0].workers_used, 2u);
}

// Schema 4 is schema 5 without `pinning`: a schema 5 file with that column taken out and the
// version set back reads as rows that were not pinned.
TEST(schema_4, results_read_as_unpinned_rows) {
  bench::result_row row;
  row.backend = "threads";
  row.kind = "backend";
  row.schedule = "static";
  row.pinning = "spread";
  row.scaling = "strong";
  row.row_type = "aggregate";
  row.status = "ok";
  row.size = 1000;
  std::string csv = reports::to_csv(std::vector{row});
  ASSERT_EQ(csv.rfind("schema_version,kernel,kernel_version,params,isa,backend,kind,schedule,pinning,", 0), 0u) << csv;
  const auto cut = [&](std::string_view what, std::string_view with) {
    const auto at = csv.find(what);
    ASSERT_NE(at, std::string::npos) << what;
    csv.replace(at, what.size(), with);
  };
  cut(",pinning,", ",");
  cut(fmt::format("{},pi,0,,,threads,backend,static,spread,", bench::schema_version),
      "4,pi,0,,,threads,backend,static,");
  const auto back = reports::parse_results(csv, "results.csv");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].pinning, "none");
  EXPECT_EQ(back[0].schema_version, bench::schema_version);
  EXPECT_EQ(back[0].backend, "threads");
}

// A report written before stepped kernels (schema 2: no steps, no sync_per_step columns),
// by parbench at commit cd65748: tests/data/schema2_report.
std::string schema2_report() { return std::string(PARBENCH_SOURCE_DIR) + "/tests/data/schema2_report"; }

TEST(schema_2, results_read_as_current_records_of_one_step) {
  const auto rows = reports::read_results(schema2_report() + "/results.csv");
  ASSERT_EQ(rows.size(), 32u);  // serial and tbb auto, simple, static at W=2: 7 raw + 1 aggregate each
  for (const auto& r : rows) {
    EXPECT_EQ(r.schema_version, bench::schema_version);
    EXPECT_EQ(r.kernel, "imbalanced");
    EXPECT_EQ(r.steps, 1u) << "every kernel had one step in schema 2";
    EXPECT_FALSE(r.sync_per_step_s.has_value());
  }
  EXPECT_EQ(rows[0].params, "profile=ramp;max_weight=16;rng=philox");
  EXPECT_TRUE(reports::read_break_even(schema2_report() + "/break_even.csv").empty());
  // Written again, it is a current report.
  const auto again = reports::parse_results(reports::to_csv(rows), "again.csv");
  EXPECT_EQ(again.size(), rows.size());
}

// A report written by parbench 0.1.0 (schema 1, before kernels were plug-ins): tests/data.
std::string schema1_report() { return std::string(PARBENCH_SOURCE_DIR) + "/tests/data/schema1_report"; }

TEST(schema_1, results_of_a_real_report_map_onto_schema_2_records) {
  const auto rows = reports::read_results(schema1_report() + "/results.csv");
  ASSERT_EQ(rows.size(), 36u);           // serial W=1, threads W=1,2 x 3 sizes x (3 raw + 1 aggregate)
  const bench::result_row& r = rows[0];  // 1,pi,1,philox,avx512,serial,reference,strong,1,1,1,4096,1,raw,0,ok,,3222,...
  EXPECT_EQ(r.schema_version, bench::schema_version);
  EXPECT_EQ(r.kernel, "pi");
  EXPECT_EQ(r.kernel_version, 1);
  EXPECT_EQ(r.params, "rng=philox");
  EXPECT_EQ(r.isa, "avx512");
  EXPECT_EQ(r.backend, "serial");
  EXPECT_EQ(r.kind, "reference");
  EXPECT_EQ(r.schedule, reports::schema_1_schedule);
  EXPECT_EQ(r.schedule, "default");
  EXPECT_EQ(r.size, 4096u);
  EXPECT_EQ(r.unit, "samples");
  EXPECT_EQ(r.items, 4096u);
  EXPECT_EQ(r.result, "3222");
  EXPECT_FALSE(r.workers_used.has_value());
  EXPECT_FALSE(r.bytes.has_value());
  EXPECT_EQ(r.row_type, "raw");
  EXPECT_EQ(r.repetition, 0u);
  EXPECT_EQ(r.wall_s, 2.6640000214683823e-06);
  EXPECT_EQ(r.items_per_s, 1537537525.1469808);
  EXPECT_EQ(r.items_per_s_per_worker, 1537537525.1469808);
  // threads W=2 raw row: items/s per worker is half of items/s.
  const auto w2 = std::find_if(rows.begin(), rows.end(), [](const auto& x) { return x.workers == 2; });
  ASSERT_NE(w2, rows.end());
  EXPECT_EQ(w2->items_per_s_per_worker, 39554241.919392459);
  // The last row is threads W=2 n=1e6's aggregate.
  const bench::result_row& agg = rows.back();
  EXPECT_EQ(agg.row_type, "aggregate");
  EXPECT_EQ(agg.repetitions, 3u);
  EXPECT_EQ(agg.speedup, 0.87717602522998972);
  EXPECT_EQ(agg.karp_flatt, 1.280044076074256);
  EXPECT_FALSE(agg.static_bound.has_value());
  // Written back it is a schema 2 document that reads to the same records.
  const std::string again = reports::to_csv(rows);
  EXPECT_EQ(again.rfind("schema_version,kernel,kernel_version,params,", 0), 0u);
  const auto back = reports::parse_results(again, "again.csv");
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (const auto& c : reports::result_columns()) EXPECT_EQ(c.get(back[i]), c.get(rows[i])) << i << " " << c.name;
}

TEST(schema_1, break_even_and_overhead_of_a_real_report) {
  const auto be = reports::read_break_even(schema1_report() + "/break_even.csv");
  ASSERT_EQ(be.size(), 2u);  // 1,threads,philox,1,,4096;65536;1000000
  EXPECT_EQ(be[0].kernel, "pi");
  EXPECT_EQ(be[0].params, "rng=philox");
  EXPECT_EQ(be[0].backend, "threads");
  EXPECT_EQ(be[0].schedule, "default");
  EXPECT_EQ(be[0].workers, 1u);
  EXPECT_FALSE(be[0].break_even_size.has_value());
  EXPECT_EQ(be[0].unit, "samples");
  EXPECT_EQ(be[0].sizes_tried, "4096;65536;1000000");
  EXPECT_EQ(be[1].workers, 2u);
  // Measured with --no-overhead: a header only.
  EXPECT_TRUE(reports::read_overhead(schema1_report() + "/overhead.csv").empty());
  // A schema 1 break-even row that did beat serial.
  const auto beat = reports::parse_break_even(
      "schema_version,backend,rng,workers,break_even_samples,sizes_tried\r\n1,fork,light,2,65536,4096;65536\r\n",
      "b.csv");
  ASSERT_EQ(beat.size(), 1u);
  EXPECT_EQ(beat[0].break_even_size, 65536u);
  EXPECT_EQ(beat[0].params, "rng=light");
  EXPECT_EQ(beat[0].schema_version, bench::schema_version);
}

TEST(schema_1, a_schema_1_header_needs_every_schema_1_column) {
  std::ifstream in(schema1_report() + "/results.csv", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find(",hits,"), 6, ",hats,");
  try {
    (void)reports::parse_results(text, "old.csv");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("old.csv:1:1: missing column 'hits' for schema 1"));
  }
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

// Schema 1 columns named in the table under "## Reading schema 1 reports": first cell
// "`file`", second cell "`column`".
std::vector<std::pair<std::string, std::string>> documented_v1_columns() {
  std::ifstream in(std::string(PARBENCH_SOURCE_DIR) + "/docs/report-format.md");
  std::string line;
  bool in_section = false;
  std::vector<std::pair<std::string, std::string>> out;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Reading schema 1 reports";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const auto file_end = line.find('`', 3);
    const auto col_start = line.find('`', file_end + 1);
    const auto col_end = line.find('`', col_start + 1);
    out.emplace_back(line.substr(3, file_end - 3), line.substr(col_start + 1, col_end - col_start - 1));
  }
  return out;
}

TEST(schema_doc, documents_every_renamed_schema_1_column) {
  const auto doc = documented_v1_columns();
  ASSERT_FALSE(doc.empty());
  const auto v1_results = names(reports::result_columns_v1());
  const auto v1_break_even = names(reports::break_even_columns_v1());
  const auto current_results = names(reports::result_columns());
  const auto current_break_even = names(reports::break_even_columns());
  const auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const auto& [file, column] : doc) {
    ASSERT_TRUE(file == "results.csv" || file == "break_even.csv") << file;
    EXPECT_TRUE(contains(file == "results.csv" ? v1_results : v1_break_even, column)) << file << " " << column;
  }
  // Every schema 1 column that is not a schema 2 column of the same name is in the table.
  for (const auto& [v1, current, file] : {std::tuple{&v1_results, &current_results, "results.csv"},
                                          std::tuple{&v1_break_even, &current_break_even, "break_even.csv"}})
    for (const auto& c : *v1) {
      if (contains(*current, c)) continue;
      EXPECT_NE(std::find(doc.begin(), doc.end(), std::pair<std::string, std::string>{file, c}), doc.end())
          << file << " " << c << " is not in the schema 1 table of docs/report-format.md";
    }
}

TEST(schema_doc, matches_the_writers_columns) {
  EXPECT_EQ(documented_columns("results.csv"), names(reports::result_columns()));
  EXPECT_EQ(documented_columns("overhead.csv"), names(reports::overhead_columns()));
  EXPECT_EQ(documented_columns("break_even.csv"), names(reports::break_even_columns()));
  // And the header the writer actually emits.
  const std::string header = reports::to_csv(std::vector<bench::result_row>{}).substr(0, 60);
  EXPECT_EQ(header.rfind("schema_version,kernel,kernel_version,params,", 0), 0u) << header;
}

}  // namespace

namespace {

TEST(markdown_text, report_text_cannot_become_markup) {
  using parbench::reports::markdown_line;
  using parbench::reports::markdown_text;
  EXPECT_EQ(markdown_text("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(markdown_text("a|b\nc\r\td"), "a\\|b c  d") << "one cell, one line";
  EXPECT_EQ(markdown_text("@octocat"), "@&#8203;octocat");
  EXPECT_EQ(markdown_text("see https://x.example or www.x.example"),
            "see https:&#8203;//x.example or www&#8203;.x.example");
  EXPECT_EQ(markdown_text("[a](b) *c* _d_ `e` ~f~ #g !h \\"),
            "\\[a\\](b) \\*c\\* \\_d\\_ \\`e\\` \\~f\\~ \\#g !h \\\\");
  EXPECT_EQ(markdown_text("&amp;"), "&amp;amp;");
  EXPECT_EQ(markdown_text("1.00"), "1.00") << "numbers in cells unchanged";
  EXPECT_EQ(markdown_text("-"), "-");
  EXPECT_EQ(markdown_line("- item"), "\\- item");
  EXPECT_EQ(markdown_line("12. item"), "\\12. item");
  EXPECT_EQ(markdown_line("1.5 s"), "1.5 s");
  EXPECT_EQ(markdown_line("=="), "==") << "only a lone = with a space or at the end";
}

}  // namespace

namespace {

namespace fs = std::filesystem;

TEST(report_writer, summary_md_is_written_with_the_report_and_never_through_a_link) {
  const fs::path dir = fs::temp_directory_path() / ("parbench_summary_md_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  parbench::bench::report report;
  const nlohmann::json meta = {{"schema_version", 3}};
  parbench::reports::write_report(dir, report, meta, "# summary\n");
  std::ifstream in(dir / "summary.md");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "# summary\n");
  EXPECT_TRUE(fs::exists(dir / "metadata.json"));

  // A link planted at summary.md: refused before any file is replaced, the link's target intact.
  const fs::path victim = dir / "victim.txt";
  std::ofstream(victim) << "keep";
  fs::remove(dir / "summary.md");
  fs::create_symlink(victim, dir / "summary.md");
  EXPECT_THROW(parbench::reports::write_report(dir, report, meta, "# other\n"), parbench::report_error);
  std::ifstream v(victim);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(v)), std::istreambuf_iterator<char>()), "keep");
  EXPECT_THROW(parbench::reports::prepare_report_dir(dir), parbench::report_error) << "checked before measuring";
  fs::remove_all(dir);
}

}  // namespace
