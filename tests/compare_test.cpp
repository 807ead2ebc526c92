// The regression gate: decisions on synthetic data (in memory) and the `parbench compare`
// command on synthetic report directories (exit codes, messages with file:line:column).

#include "reports/compare.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/records.hpp"
#include "reports/report_columns.hpp"
#include "reports/report_reader.hpp"
#include "reports/report_writer.hpp"
#include "tests/cli_helpers.hpp"

namespace parbench::reports {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

config_key key_for(const std::string& backend, unsigned workers, std::uint64_t size = 1000000) {
  return config_key{"pi", "1", "rng=philox", "avx2", backend, "static", "strong", workers, 1, 1, size};
}

sample_set set_of(const config_key& key, std::vector<double> throughput, int schema = bench::schema_version) {
  sample_set s;
  s.key = key;
  s.throughput = std::move(throughput);
  s.schema_version = schema;
  return s;
}

// Log-normal throughput around `center` with coefficient of variation about `cv`.
std::vector<double> noisy(std::mt19937_64& rng, double center, double cv, std::size_t n) {
  std::normal_distribution<double> z(0.0, cv);
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(center * std::exp(z(rng)));
  return v;
}

const std::vector<std::pair<std::string, unsigned>> configs = {{"serial", 1}, {"threads", 1}, {"threads", 2},
                                                               {"openmp", 1}, {"openmp", 2},  {"tbb", 2}};

std::pair<std::vector<sample_set>, std::vector<sample_set>> synthetic(std::uint64_t seed, std::size_t reps, double cv,
                                                                      std::size_t slow_index, double slow_factor) {
  std::mt19937_64 rng(seed);
  std::vector<sample_set> base, cur;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const double center = 1e8 * configs[i].second;
    base.push_back(set_of(key_for(configs[i].first, configs[i].second), noisy(rng, center, cv, reps)));
    const double factor = i == slow_index ? slow_factor : 1.0;
    cur.push_back(set_of(key_for(configs[i].first, configs[i].second), noisy(rng, center * factor, cv, reps)));
  }
  return {base, cur};
}

TEST(CompareSets, TwentyPercentSlowdownOnOneConfigurationIsFlaggedAndNothingElse) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto [base, cur] = synthetic(seed, 10, 0.02, 2, 0.8);
    const comparison c = compare_sets(base, cur, compare_options{});
    ASSERT_EQ(c.rows.size(), configs.size());
    for (std::size_t i = 0; i < c.rows.size(); ++i) {
      const bool slowed = c.rows[i].key == key_for("threads", 2);
      EXPECT_EQ(c.rows[i].result == verdict::regressed, slowed) << "seed " << seed << ": " << format_console(c);
      if (slowed) {
        EXPECT_NEAR(c.rows[i].change, -0.2, 0.03);
        EXPECT_LT(c.rows[i].ci_low, -0.15);
        EXPECT_GT(c.rows[i].ci_high, -0.25);
        EXPECT_LE(c.rows[i].ci_low, c.rows[i].ci_high);
      }
    }
  }
}

TEST(CompareSets, TwentyPercentSpeedupIsImproved) {
  const auto [base, cur] = synthetic(3, 10, 0.02, 0, 1.25);
  const comparison c = compare_sets(base, cur, compare_options{});
  EXPECT_EQ(c.count(verdict::improved), 1u);
  EXPECT_EQ(c.count(verdict::regressed), 0u);
}

TEST(CompareSets, SmallSignificantChangeBelowTheThresholdIsNotARegression) {
  // 3% slower with 0.5% noise: clearly real, but below the default 5% threshold.
  const auto [base, cur] = synthetic(5, 10, 0.005, 1, 0.97);
  const comparison c = compare_sets(base, cur, compare_options{});
  EXPECT_EQ(c.count(verdict::regressed), 0u);
  compare_options zero;
  zero.threshold = 0;
  const comparison strict = compare_sets(base, cur, zero);
  EXPECT_EQ(strict.count(verdict::regressed), 1u) << format_console(strict);
}

// Pure noise, same distribution on both sides: the family-wise false-alarm rate measured over
// many seeds. Holm keeps P(any rejection) <= alpha; a regression is one of two directions, so
// with threshold 0 we expect at most about alpha/2, and the 5% threshold removes nearly all.
TEST(CompareSets, PureNoiseIsFlaggedNowhereOverManySeeds) {
  constexpr int trials = 2000;
  int any_regressed_zero = 0, any_flagged_zero = 0, any_regressed_default = 0;
  compare_options zero;
  zero.threshold = 0;
  for (int t = 0; t < trials; ++t) {
    const auto [base, cur] = synthetic(1000 + static_cast<std::uint64_t>(t), 10, 0.03, configs.size(), 1.0);
    const comparison z = compare_sets(base, cur, zero);
    any_regressed_zero += z.count(verdict::regressed) > 0 ? 1 : 0;
    any_flagged_zero += z.count(verdict::regressed) + z.count(verdict::improved) > 0 ? 1 : 0;
    any_regressed_default += compare_sets(base, cur, compare_options{}).count(verdict::regressed) > 0 ? 1 : 0;
  }
  const double rate_zero = static_cast<double>(any_regressed_zero) / trials;
  const double rate_two_sided = static_cast<double>(any_flagged_zero) / trials;
  const double rate_default = static_cast<double>(any_regressed_default) / trials;
  std::printf(
      "false alarms over %d trials of %zu configurations x 10 repetitions, 3%% noise:\n"
      "  threshold 0: regressed %.4f, regressed or improved %.4f; threshold 5%%: regressed %.4f\n",
      trials, configs.size(), rate_zero, rate_two_sided, rate_default);
  // Binomial sampling error at 2000 trials is about 0.005 around 0.05.
  EXPECT_LE(rate_two_sided, 0.05 + 0.015);
  EXPECT_LE(rate_zero, 0.025 + 0.012);
  EXPECT_LE(rate_default, 0.01);
}

TEST(CompareSets, ThreeRepetitionsPerSideCanNeverBeSignificant) {
  const auto [base, cur] = synthetic(9, 3, 0.01, 0, 0.5);  // halved throughput, but only 3 each
  const comparison c = compare_sets(base, cur, compare_options{});
  EXPECT_EQ(c.count(verdict::regressed), 0u);
  EXPECT_EQ(c.rows[0].result, verdict::inconclusive);
  EXPECT_THAT(c.rows[0].note, HasSubstr("can never reach p <= 0.05"));
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_THAT(c.warnings.front(), HasSubstr("too few repetitions"));
}

TEST(CompareSets, ConfigurationsOnOneSideAreListed) {
  auto [base, cur] = synthetic(11, 8, 0.02, configs.size(), 1.0);
  base.push_back(set_of(key_for("fork", 2), {1e8, 1e8, 1e8}));
  cur.push_back(set_of(key_for("spawn", 2), {1e8, 1e8, 1e8}));
  const comparison c = compare_sets(base, cur, compare_options{});
  ASSERT_EQ(c.only_baseline.size(), 1u);
  ASSERT_EQ(c.only_current.size(), 1u);
  EXPECT_EQ(c.only_baseline[0].backend, "fork");
  EXPECT_EQ(c.only_current[0].backend, "spawn");
  EXPECT_THAT(format_console(c), HasSubstr("only in baseline: fork static W=2"));
  EXPECT_THAT(format_markdown(c, "a", "b"), HasSubstr("current only: spawn static W=2"));
}

// Kernel, params and schedule are part of the key: sets that differ in one of them are never
// compared with each other, each is one-sided.
TEST(CompareSets, KernelParamsAndScheduleAreNeverMixed) {
  const std::vector<double> v{1e8, 1.01e8, 0.99e8, 1e8, 1.02e8, 0.98e8, 1e8, 1e8};
  config_key other_kernel = key_for("threads", 2);
  other_kernel.kernel = "imbalanced";
  config_key other_params = key_for("threads", 2);
  other_params.params = "rng=light";
  config_key other_schedule = key_for("threads", 2);
  other_schedule.schedule = "dynamic";
  for (const config_key& k : {other_kernel, other_params, other_schedule}) {
    const comparison c = compare_sets({set_of(key_for("threads", 2), v)}, {set_of(k, v)}, compare_options{});
    EXPECT_TRUE(c.rows.empty()) << k.label();
    ASSERT_EQ(c.only_baseline.size(), 1u);
    ASSERT_EQ(c.only_current.size(), 1u);
    EXPECT_EQ(c.only_current[0], k);
  }
  // Both schedules in both reports: each is compared with its own.
  const comparison both =
      compare_sets({set_of(key_for("threads", 2), v), set_of(other_schedule, v)},
                   {set_of(key_for("threads", 2), v), set_of(other_schedule, v)}, compare_options{});
  ASSERT_EQ(both.rows.size(), 2u);
  EXPECT_EQ(both.rows[0].key.schedule, "dynamic");
  EXPECT_EQ(both.rows[1].key.schedule, "static");
  EXPECT_THAT(format_console(both), HasSubstr("threads dynamic W=2 n=1000000 (pi v1 rng=philox avx2 strong)"));
}

// A schema 1 set (schedule "default", not recorded) matches the other side's only schedule for
// that configuration; with two schedules there it stays one-sided, with a warning.
TEST(CompareSets, SchemaOneMatchesTheOnlyScheduleOfTheOtherSide) {
  const std::vector<double> v{1e8, 1.01e8, 0.99e8, 1e8, 1.02e8, 0.98e8, 1e8, 1e8};
  config_key old_key = key_for("threads", 2);
  old_key.schedule = "default";
  config_key dynamic = key_for("threads", 2);
  dynamic.schedule = "dynamic";
  const comparison one = compare_sets({set_of(old_key, v, 1)}, {set_of(key_for("threads", 2), v)}, compare_options{});
  ASSERT_EQ(one.rows.size(), 1u);
  EXPECT_TRUE(one.only_baseline.empty());
  EXPECT_TRUE(one.only_current.empty());
  EXPECT_EQ(one.rows[0].key.schedule, "static");  // shown under the schema 2 side's key
  EXPECT_THAT(one.rows[0].note, HasSubstr("baseline is schema 1"));
  EXPECT_THAT(one.rows[0].note, HasSubstr("'static'"));
  // Either side may be the old one.
  const comparison reversed =
      compare_sets({set_of(key_for("threads", 2), v)}, {set_of(old_key, v, 1)}, compare_options{});
  ASSERT_EQ(reversed.rows.size(), 1u);
  EXPECT_THAT(reversed.rows[0].note, HasSubstr("current is schema 1"));

  const comparison two =
      compare_sets({set_of(old_key, v, 1)}, {set_of(key_for("threads", 2), v), set_of(dynamic, v)}, compare_options{});
  EXPECT_TRUE(two.rows.empty());
  EXPECT_EQ(two.only_baseline.size(), 1u);
  EXPECT_EQ(two.only_current.size(), 2u);
  EXPECT_THAT(fmt::format("{}", fmt::join(two.warnings, "\n")), HasSubstr("ran 2 schedules there (dynamic, static)"));
  // "default" is no wildcard between two schema 2 reports.
  const comparison no = compare_sets({set_of(old_key, v)}, {set_of(key_for("threads", 2), v)}, compare_options{});
  EXPECT_TRUE(no.rows.empty());
}

// ---- The command on report directories -------------------------------------------------------

// The writer's own columns (reports/report_columns.cpp): the gate reads what run writes.
const std::vector<std::string>& header() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& c : result_columns()) out.emplace_back(c.name);
    return out;
  }();
  return names;
}

std::size_t col(const std::string& name) {
  for (std::size_t i = 0; i < header().size(); ++i)
    if (name == header()[i]) return i;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

using table = std::vector<std::vector<std::string>>;  // row 0 is the header

table make_table(std::uint64_t seed, std::size_t reps, double slow_factor, const std::string& slow_backend) {
  std::mt19937_64 rng(seed);
  table t;
  t.push_back(header());
  const std::size_t n_columns = header().size();
  const std::uint64_t size = 10000000;  // 100 ms and 50 ms repetitions: long enough to judge
  const std::string version = std::to_string(bench::schema_version);
  for (const auto& [backend, workers] : configs) {
    const double factor = backend == slow_backend && workers == 2 ? slow_factor : 1.0;
    for (std::size_t r = 0; r < reps; ++r) {
      std::vector<std::string> row(n_columns);
      const double rate = noisy(rng, 1e8 * workers * factor, 0.02, 1)[0];
      row[col("schema_version")] = version;
      row[col("kernel")] = std::string("pi");
      row[col("kernel_version")] = std::string("1");
      row[col("params")] = std::string("rng=philox");
      row[col("isa")] = std::string("avx2");
      row[col("backend")] = backend;
      row[col("kind")] = std::string("backend");
      row[col("schedule")] = std::string("static");
      row[col("scaling")] = std::string("strong");
      row[col("workers")] = std::to_string(workers);
      row[col("ranks")] = std::string("1");
      row[col("threads_per_rank")] = std::string("1");
      row[col("size")] = std::to_string(size);
      row[col("unit")] = std::string("samples");
      row[col("seed")] = std::string("1");
      row[col("row_type")] = std::string("raw");
      row[col("repetition")] = std::to_string(r);
      row[col("status")] = std::string("ok");
      row[col("result")] = std::string("785398");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(size) / rate);
      row[col("wall_s")] = buf;
      std::snprintf(buf, sizeof buf, "%.17g", rate);
      row[col("items_per_s")] = buf;
      t.push_back(row);
    }
    std::vector<std::string> agg(n_columns);  // aggregates are ignored by the gate
    agg[col("schema_version")] = version;
    agg[col("kernel")] = std::string("pi");
    agg[col("kernel_version")] = std::string("1");
    agg[col("params")] = std::string("rng=philox");
    agg[col("isa")] = std::string("avx2");
    agg[col("backend")] = backend;
    agg[col("kind")] = std::string("backend");
    agg[col("schedule")] = std::string("static");
    agg[col("scaling")] = std::string("strong");
    agg[col("workers")] = std::to_string(workers);
    agg[col("ranks")] = std::string("1");
    agg[col("threads_per_rank")] = std::string("1");
    agg[col("size")] = std::to_string(size);
    agg[col("unit")] = std::string("samples");
    agg[col("row_type")] = std::string("aggregate");
    agg[col("status")] = std::string("ok");
    agg[col("wall_s")] = std::string("0.01");
    agg[col("items_per_s")] = std::string("1e8");
    t.push_back(agg);
  }
  return t;
}

std::string to_csv(const table& t) {
  std::string out;
  for (const auto& row : t) {
    for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + row[c];
    out += "\r\n";
  }
  return out;
}

// "line:column" of cell (row, column) in to_csv(t), 1-based, assuming no quoting.
std::string position(const table& t, std::size_t row, std::size_t column) {
  std::size_t c = 1;
  for (std::size_t i = 0; i < column; ++i) c += t[row][i].size() + 1;
  return std::to_string(row + 1) + ":" + std::to_string(c);
}

std::string metadata(const std::string& cpu = "AMD EPYC 9R14", const std::string& build = "Release",
                     const std::string& compiler = "GNU 12.2.0", const std::string& tbb = "2021.8") {
  return R"({"schema_version":1,"parbench_version":"0.1.0","timestamp":"2026-11-26T02:00:00Z",)"
         R"("command_line":"parbench run","seed":1,"git_commit":"abc",)"
         R"("machine":{"hostname":"h","cpu_model":")" +
         cpu + R"(","logical_cpus":2},"build":{"type":")" + build + R"(","compiler":")" + compiler +
         R"(","flags":"-O3","isa":"avx2","native":false},"libraries":{"onetbb":")" + tbb + R"("}})";
}

class compare_command : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parbench_compare_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_report(const std::string& name, const std::string& csv, const std::string& meta = metadata()) {
    fs::path d = dir_ / name;
    fs::create_directories(d);
    std::ofstream(d / "results.csv", std::ios::binary) << csv;
    std::ofstream(d / "metadata.json", std::ios::binary) << meta;
    return d;
  }

  test::command_result compare(const fs::path& a, const fs::path& b, const std::string& extra = "") {
    return test::run_parbench("compare '" + a.string() + "' '" + b.string() + "' " + extra);
  }

  // Runs the gate with `bad` as the current report's results.csv; expects exit 2 and `where`.
  void expect_bad(const std::string& bad, const std::string& where, const std::string& what) {
    const auto base = write_report("base", to_csv(make_table(1, 6, 1.0, "")));
    const auto cur = write_report("bad", bad);
    const auto r = compare(base, cur);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr((cur / "results.csv").string() + ":" + where)) << r.output;
    EXPECT_THAT(r.output, HasSubstr(what)) << r.output;
  }

  fs::path dir_;
};

// `regressed` needs the whole interval beyond the threshold: a 6 % drop measured with 3 % noise
// has an interval reaching inside 5 % and is not called; a 20 % drop is.
TEST(compare_verdict, regressed_only_when_the_interval_lies_beyond_the_threshold) {
  const std::vector<double> base = {1.00e8, 1.01e8, 0.99e8, 1.02e8, 0.98e8, 1.00e8, 1.03e8, 0.97e8, 1.01e8, 0.99e8};
  const auto scaled = [&](double f) {
    std::vector<double> v(base);
    for (double& x : v) x *= f;
    return v;
  };
  const config_key k = key_for("threads", 2);
  const comparison near = compare_sets({set_of(k, base)}, {set_of(k, scaled(0.94))}, compare_options{});
  ASSERT_EQ(near.rows.size(), 1u);
  EXPECT_LE(near.rows[0].change, -0.05);
  EXPECT_LE(near.rows[0].p_adjusted, 0.05);
  EXPECT_GT(near.rows[0].ci_high, -0.05) << format_console(near);
  EXPECT_EQ(near.rows[0].result, verdict::inconclusive) << format_console(near);
  EXPECT_THAT(near.rows[0].note, HasSubstr("its interval"));
  const comparison far = compare_sets({set_of(k, base)}, {set_of(k, scaled(0.80))}, compare_options{});
  EXPECT_EQ(far.rows[0].result, verdict::regressed) << format_console(far);
  const comparison up = compare_sets({set_of(k, base)}, {set_of(k, scaled(1.25))}, compare_options{});
  EXPECT_EQ(up.rows[0].result, verdict::improved) << format_console(up);
}

// Repetitions of a few milliseconds are not judged: a 2x slowdown of 3 ms runs is reported as too
// short; the same runs repeated for a --min-time of 50 ms are judged.
TEST(compare_verdict, repetitions_too_short_to_time_are_not_judged) {
  const config_key k = key_for("threads", 2);
  sample_set base = set_of(k, std::vector<double>(10, 2e8));
  sample_set slow = set_of(k, std::vector<double>(10, 1e8));
  for (int i = 0; i < 10; ++i) {
    base.throughput[i] *= 1.0 + 0.001 * i;
    slow.throughput[i] *= 1.0 + 0.001 * i;
  }
  base.wall_s.assign(10, 0.003);
  slow.wall_s.assign(10, 0.006);
  const comparison short_runs = compare_sets({base}, {slow}, compare_options{});
  EXPECT_EQ(short_runs.rows[0].result, verdict::inconclusive) << format_console(short_runs);
  EXPECT_THAT(short_runs.rows[0].note, HasSubstr("too short to time reliably: repetitions of 3 ms"));
  base.min_time_s = slow.min_time_s = 0.05;
  const comparison repeated = compare_sets({base}, {slow}, compare_options{});
  EXPECT_EQ(repeated.rows[0].result, verdict::regressed) << format_console(repeated);
}

TEST_F(compare_command, SameReportPassesAndSlowedCopyFailsWithExitOne) {
  const auto base = write_report("base", to_csv(make_table(1, 8, 1.0, "")));
  const auto same = compare(base, base);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_THAT(same.output, HasSubstr("0 regressed"));

  const auto noise = write_report("noise", to_csv(make_table(2, 8, 1.0, "")));
  EXPECT_EQ(compare(base, noise).exit_code, 0);

  const auto slow = write_report("slow", to_csv(make_table(3, 8, 0.8, "threads")));
  const fs::path md = dir_ / "summary.md";
  const auto r = compare(base, slow, "--markdown '" + md.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1 of 6 configurations regressed"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("threads static W=2 [^\n]* regressed"));
  std::ifstream in(md);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("## parbench compare: 1 regressed"));
  EXPECT_THAT(text, HasSubstr("**regressed**"));
  // For a pull request: the regression first, the unchanged rest folded away.
  const auto attention = text.find("### Regressed or failed");
  const auto folded = text.find("<details><summary>5 configurations unchanged or inconclusive</summary>");
  ASSERT_NE(attention, std::string::npos) << text;
  ASSERT_NE(folded, std::string::npos) << text;
  EXPECT_LT(attention, text.find("threads static W=2"));
  EXPECT_LT(text.find("threads static W=2"), folded);
  EXPECT_GT(text.find("serial static W=1"), folded);
  EXPECT_THAT(text, HasSubstr("</details>"));
  // Both sides named by commit and machine.
  EXPECT_THAT(text, HasSubstr("(commit abc, AMD EPYC 9R14 on h)"));
}

// End to end on real reports: a tiny `parbench run` passes against itself and fails (exit 1)
// against a copy whose throughput reports/slow_report.py divided by 4.
TEST_F(compare_command, RealReportAgainstItselfAndASlowedCopy) {
  const fs::path base = dir_ / "real";
  const auto run = test::run_parbench(
      "run --backend serial,threads --workers 1,2 --samples 1e8 --repetitions 8 "
      "--no-overhead --no-break-even --quiet --out '" +
      base.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto same = compare(base, base);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_THAT(same.output, HasSubstr("0 regressed"));
  const fs::path slow = dir_ / "slow";
  const std::string script = std::string(PARBENCH_SOURCE_DIR) + "/reports/slow_report.py";
  ASSERT_EQ(
      std::system(("/usr/bin/python3 '" + script + "' '" + base.string() + "' '" + slow.string() + "' 0.25").c_str()),
      0);
  const auto r = compare(base, slow);
  // Exit 1 needs one configuration flagged; on a loaded machine a very noisy one may stay
  // inconclusive, so all three are not required.
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("of 3 configurations regressed"));
}

// A run whose repetitions of a configuration all failed never passes the gate, with --strict or
// without: verdict failed with the reason, exit 3, and the baseline's real figure in the table.
TEST_F(compare_command, AConfigurationWithNoSuccessfulRepetitionFailsTheGate) {
  const auto base = write_report("base", to_csv(make_table(1, 8, 1.0, "")));
  table t = make_table(1, 8, 1.0, "");
  for (auto& row : t)
    if (row[col("backend")] == "threads" && row[col("workers")] == "2" && row[col("row_type")] == "raw") {
      row[col("status")] = "failed";
      row[col("error")] = "worker 1 of 2 was killed by SIGKILL";
      row[col("wall_s")] = row[col("items_per_s")] = "";
    }
  const auto cur = write_report("failed", to_csv(t));
  const fs::path md = dir_ / "failed.md";
  for (const char* extra : {"", "--strict"}) {
    const auto r = compare(base, cur, std::string(extra) + " --markdown '" + md.string() + "'");
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_THAT(r.output,
                ::testing::ContainsRegex("threads static W=2 [^\n]* 8/0 +[0-9]\\.[0-9]+e\\+08 +- [^\n]* failed"))
        << r.output;
    EXPECT_THAT(r.output, HasSubstr("no successful repetition in the current report (worker 1 of 2 was killed"));
    EXPECT_THAT(r.output, HasSubstr("1 of 6 configurations have no successful repetition"));
    std::ifstream in(md);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THAT(text, HasSubstr("## parbench compare: 1 failed"));
    EXPECT_THAT(text, HasSubstr("**failed**"));
  }
  // The other way round too: a baseline that failed cannot vouch for anything.
  EXPECT_EQ(compare(cur, base).exit_code, 3);
}

TEST_F(compare_command, ThresholdAndAlphaAreValidated) {
  const auto base = write_report("base", to_csv(make_table(1, 6, 1.0, "")));
  EXPECT_EQ(compare(base, base, "--threshold abc").exit_code, 2);
  EXPECT_EQ(compare(base, base, "--threshold 150").exit_code, 2);
  EXPECT_EQ(compare(base, base, "--alpha 0").exit_code, 2);
  EXPECT_EQ(compare(base, base, "--threshold 10% --alpha 0.01").exit_code, 0);
}

TEST_F(compare_command, UnwritableMarkdownIsAReportError) {
  const auto base = write_report("base", to_csv(make_table(1, 6, 1.0, "")));
  const auto r = compare(base, base, "--markdown '" + (dir_ / "no" / "such" / "dir" / "x.md").string() + "'");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("x.md"));
}

TEST_F(compare_command, MarkdownNeverReplacesADevice) {
  const auto base = write_report("base", to_csv(make_table(1, 6, 1.0, "")));
  const auto r = compare(base, base, "--markdown /dev/full");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("not a regular file"));
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST_F(compare_command, OneSidedConfigurationsAreListedAndStrictMakesThemAnError) {
  table t = make_table(1, 6, 1.0, "");
  const auto base = write_report("base", to_csv(t));
  table fewer;
  for (const auto& row : t)
    if (row[col("backend")] != "tbb") fewer.push_back(row);
  const auto cur = write_report("cur", to_csv(fewer));
  const auto r = compare(base, cur);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("only in baseline: tbb static W=2"));
  const auto s = compare(base, cur, "--strict");
  EXPECT_EQ(s.exit_code, 2) << s.output;
  EXPECT_THAT(s.output, HasSubstr("--strict"));
}

TEST_F(compare_command, DifferentMachinesAndBuildTypesAreRefusedUnlessAllowed) {
  const std::string csv = to_csv(make_table(1, 6, 1.0, ""));
  const auto base = write_report("base", csv);
  const auto other_cpu = write_report("cpu", csv, metadata("Intel Xeon"));
  const auto r = compare(base, other_cpu);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("different machines"));
  EXPECT_THAT(r.output, HasSubstr("--allow-different-machines"));
  const auto allowed = compare(base, other_cpu, "--allow-different-machines");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_THAT(allowed.output, HasSubstr("warning: machine.cpu_model differs"));

  const auto debug = write_report("debug", csv, metadata("AMD EPYC 9R14", "Debug"));
  const auto d = compare(base, debug);
  EXPECT_EQ(d.exit_code, 2) << d.output;
  EXPECT_THAT(d.output, HasSubstr("build types"));
}

TEST_F(compare_command, DifferentCompilersAndLibrariesOnlyWarn) {
  const std::string csv = to_csv(make_table(1, 6, 1.0, ""));
  const auto base = write_report("base", csv);
  const auto other = write_report("other", csv, metadata("AMD EPYC 9R14", "Release", "Clang 14.0.6", "2022.0"));
  const auto r = compare(base, other);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("warning: build.compiler differs"));
  EXPECT_THAT(r.output, HasSubstr("warning: libraries.onetbb differs"));
}

TEST_F(compare_command, DifferentKernelVersionsAreAlwaysAnError) {
  table t = make_table(1, 6, 1.0, "");
  const auto base = write_report("base", to_csv(t));
  for (std::size_t r = 1; r < t.size(); ++r) t[r][col("kernel_version")] = std::string("2");
  const auto cur = write_report("v2", to_csv(t));
  const auto r = compare(base, cur, "--allow-different-machines");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("version 1"));
  EXPECT_THAT(r.output, HasSubstr("version 2"));
}

TEST_F(compare_command, MissingFile) {
  const auto base = write_report("base", to_csv(make_table(1, 6, 1.0, "")));
  fs::create_directories(dir_ / "empty_dir");
  const auto r = compare(base, dir_ / "empty_dir");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr((dir_ / "empty_dir" / "results.csv").string() + ": missing file"));
  const auto no_dir = compare(base, dir_ / "nowhere");
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_THAT(no_dir.output, HasSubstr("missing report directory"));
  fs::remove(base / "metadata.json");
  const auto no_meta = compare(base, base);
  EXPECT_EQ(no_meta.exit_code, 2);
  EXPECT_THAT(no_meta.output, HasSubstr((base / "metadata.json").string() + ": missing file"));
}

TEST_F(compare_command, EmptyFile) { expect_bad("", "1:1", "empty file"); }

TEST_F(compare_command, UnknownSchemaVersion) {
  table t = make_table(1, 6, 1.0, "");
  const std::string newer = std::to_string(bench::schema_version + 1);
  t[3][col("schema_version")] = newer;
  expect_bad(to_csv(t), position(t, 3, col("schema_version")), "unknown schema_version '" + newer + "'");
  // An older version's number under the current header.
  table u = make_table(1, 6, 1.0, "");
  u[2][col("schema_version")] = std::to_string(bench::oldest_schema_version);
  expect_bad(to_csv(u), position(u, 2, col("schema_version")), "one file holds one schema");
}

TEST_F(compare_command, MissingSchemaVersion) {
  table t = make_table(1, 6, 1.0, "");
  t[2][col("schema_version")] = std::string("");
  expect_bad(to_csv(t), position(t, 2, col("schema_version")), "missing schema_version");
  for (auto& row : t) row.erase(row.begin());  // drop the column entirely
  expect_bad(to_csv(t), "1:1", "missing column 'schema_version'");
}

TEST_F(compare_command, UnknownMetadataSchemaVersion) {
  const std::string csv = to_csv(make_table(1, 6, 1.0, ""));
  const auto base = write_report("base", csv);
  std::string meta = metadata();
  meta.replace(meta.find("\"schema_version\":1"), 18, "\"schema_version\":9");
  const auto cur = write_report("meta9", csv, meta);
  const auto r = compare(base, cur);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr((cur / "metadata.json").string() + ":1:2: unknown schema_version 9"));
  const auto bad_json = write_report("badjson", csv, "{\"schema_version\": 1,\n  \"machine\": {,}}");
  const auto j = compare(base, bad_json);
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_THAT(j.output, HasSubstr((bad_json / "metadata.json").string() + ":2:15: not valid JSON"));
}

TEST_F(compare_command, MissingColumns) {
  table t = make_table(1, 6, 1.0, "");
  const std::size_t c = col("items_per_s");
  for (auto& row : t) row.erase(row.begin() + static_cast<std::ptrdiff_t>(c));
  expect_bad(to_csv(t), "1:1", "missing column 'items_per_s'");
}

TEST_F(compare_command, RaggedRow) {
  table t = make_table(1, 6, 1.0, "");
  t[4].pop_back();
  expect_bad(to_csv(t), "5:1",
             fmt::format("row has {} fields but the header has {}", header().size() - 1, header().size()));
}

TEST_F(compare_command, BadQuoting) {
  table t = make_table(1, 6, 1.0, "");
  t[2][col("error")] = std::string("say \"hi\"");  // a quote inside an unquoted field
  // The reader points at the offending quote, 4 characters into the field.
  const std::string start = position(t, 2, col("error"));
  const std::size_t column = std::stoul(start.substr(start.find(':') + 1));
  expect_bad(to_csv(t), "3:" + std::to_string(column + 4), "inside an unquoted field");
  table u = make_table(1, 6, 1.0, "");
  u[5][col("error")] = std::string("\"never closed");
  expect_bad(to_csv(u), position(u, 5, col("error")), "not closed");
}

TEST_F(compare_command, NonNumericTiming) {
  table t = make_table(1, 6, 1.0, "");
  t[6][col("items_per_s")] = std::string("fast");
  expect_bad(to_csv(t), position(t, 6, col("items_per_s")), "items_per_s 'fast' is not a number");
}

TEST_F(compare_command, NanTiming) {
  table t = make_table(1, 6, 1.0, "");
  t[2][col("wall_s")] = std::string("nan");
  expect_bad(to_csv(t), position(t, 2, col("wall_s")), "wall_s is NaN");
}

TEST_F(compare_command, InfiniteTiming) {
  table t = make_table(1, 6, 1.0, "");
  t[3][col("items_per_s")] = std::string("inf");
  expect_bad(to_csv(t), position(t, 3, col("items_per_s")), "infinite");
}

TEST_F(compare_command, NonPositiveTiming) {
  table t = make_table(1, 6, 1.0, "");
  t[2][col("wall_s")] = std::string("0");
  expect_bad(to_csv(t), position(t, 2, col("wall_s")), "wall_s '0' is not positive");
  table u = make_table(1, 6, 1.0, "");
  u[4][col("items_per_s")] = std::string("-3e8");
  expect_bad(to_csv(u), position(u, 4, col("items_per_s")), "items_per_s '-3e8' is not positive");
}

// ---- Schema 1 reports (tests/data/schema1_report: written by parbench 0.1.0) -----------------

const fs::path schema1_report = fs::path(PARBENCH_SOURCE_DIR) / "tests" / "data" / "schema1_report";

TEST(SchemaOne, RealReportIsReadAsPiWithANote) {
  const compare_input in = read_compare_input(schema1_report);
  EXPECT_EQ(in.schema_version, 1);
  ASSERT_EQ(in.notes.size(), 1u);
  EXPECT_THAT(in.notes[0], HasSubstr(schema1_report.string() + " is a schema 1 report (read as kernel pi"));
  ASSERT_EQ(in.sets.size(), 9u);  // serial W=1, threads W=1,2 at 3 sizes
  for (const auto& s : in.sets) {
    EXPECT_EQ(s.key.kernel, "pi");
    EXPECT_EQ(s.key.params, "rng=philox");
    EXPECT_EQ(s.key.schedule, schema_1_schedule);
    EXPECT_EQ(s.unit, "samples");
    EXPECT_EQ(s.schema_version, 1);
    EXPECT_EQ(s.throughput.size(), 3u);
  }
  EXPECT_EQ(in.sets[0].key.backend, "serial");
  EXPECT_EQ(in.sets[0].key.size, 4096u);
  EXPECT_EQ(in.sets[0].throughput[0], 1537537525.1469808);
}

class schema_one_command : public compare_command {
 protected:
  // The fixture as a schema 2 report (as this parbench writes it) with schedule `schedule`,
  // and, when `also` is set, a second copy of the threads rows with schedule `also`.
  fs::path as_schema_2(const std::string& name, const std::string& schedule, const std::string& also = "") {
    std::vector<bench::result_row> rows = read_results((schema1_report / "results.csv").string());
    std::vector<bench::result_row> extra;
    for (auto& r : rows) {
      EXPECT_EQ(r.schema_version, bench::schema_version);
      r.schedule = schedule;
      if (!also.empty() && r.backend == "threads") {
        extra.push_back(r);
        extra.back().schedule = also;
      }
    }
    rows.insert(rows.end(), extra.begin(), extra.end());
    std::ifstream in(schema1_report / "metadata.json");
    const std::string meta((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return write_report(name, reports::to_csv(rows), meta);
  }
};

TEST_F(schema_one_command, SchemaOneAgainstSchemaTwoOfTheSameConfigurations) {
  const auto current = as_schema_2("current", "static");
  const comparison c = compare_reports(read_compare_input(schema1_report), read_compare_input(current), {});
  EXPECT_EQ(c.rows.size(), 9u) << format_console(c);
  EXPECT_TRUE(c.only_baseline.empty());
  EXPECT_TRUE(c.only_current.empty());
  for (const auto& r : c.rows) {
    EXPECT_EQ(r.key.schedule, "static");
    EXPECT_EQ(r.change, 0.0);  // the same repetitions
    EXPECT_NE(r.result, verdict::regressed);
  }
  const std::string text = format_console(c);
  EXPECT_EQ(text.rfind("note: " + schema1_report.string() + " is a schema 1 report (read as kernel pi", 0), 0u) << text;
  EXPECT_THAT(format_markdown(c, "old", "new"), HasSubstr("is a schema 1 report"));

  // Two schedules of threads in the current report: the old threads rows cannot be matched.
  const auto two = as_schema_2("two", "static", "dynamic");
  const comparison t = compare_reports(read_compare_input(schema1_report), read_compare_input(two), {});
  EXPECT_EQ(t.rows.size(), 3u) << format_console(t);  // serial only
  EXPECT_EQ(t.only_baseline.size(), 6u);
  EXPECT_EQ(t.only_current.size(), 12u);
  EXPECT_THAT(format_console(t), HasSubstr("did not record the schedule"));
}

TEST_F(schema_one_command, CommandReadsASchemaOneReportAndSaysSo) {
  const auto current = as_schema_2("current", "static");
  const auto r = compare(schema1_report, current);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("0 regressed"));
  EXPECT_THAT(r.output, HasSubstr("note: " + schema1_report.string() + " is a schema 1 report"));
}

// ---- Schema 2 reports (tests/data/schema2_report: before stepped kernels) -----------------

const fs::path schema2_report = fs::path(PARBENCH_SOURCE_DIR) / "tests" / "data" / "schema2_report";

TEST_F(schema_one_command, SchemaTwoReportComparesWithTheSameReportWrittenNow) {
  const compare_input in = read_compare_input(schema2_report);
  EXPECT_EQ(in.schema_version, 2);
  EXPECT_TRUE(in.notes.empty()) << "schema 2 maps one to one: nothing to say";
  ASSERT_EQ(in.sets.size(), 4u);
  for (const auto& set : in.sets) EXPECT_EQ(set.throughput.size(), 7u);
  // The same rows written by this parbench (schema 3): every configuration matches, no change.
  std::ifstream meta_in(schema2_report / "metadata.json");
  const std::string meta((std::istreambuf_iterator<char>(meta_in)), std::istreambuf_iterator<char>());
  const auto current =
      write_report("now", reports::to_csv(read_results((schema2_report / "results.csv").string())), meta);
  const comparison c = compare_reports(in, read_compare_input(current), {});
  EXPECT_EQ(c.rows.size(), 4u) << format_console(c);
  EXPECT_TRUE(c.only_baseline.empty());
  EXPECT_TRUE(c.only_current.empty());
  for (const auto& r : c.rows) EXPECT_EQ(r.change, 0.0);
  const auto r = compare(schema2_report, current);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// docs/ci.md documents every flag that `parbench compare` and `parbench plot` accept.
TEST(CompareDocs, EveryFlagIsDocumented) {
  std::ifstream in(std::string(PARBENCH_SOURCE_DIR) + "/docs/ci.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  for (const char* cmd : {"compare", "plot"}) {
    const auto help = test::run_parbench(std::string(cmd) + " --help");
    ASSERT_EQ(help.exit_code, 0) << help.output;
    std::size_t flags = 0;
    for (std::size_t at = help.output.find("--"); at != std::string::npos; at = help.output.find("--", at + 2)) {
      std::size_t end = at + 2;
      while (end < help.output.size() &&
             (std::isalnum(static_cast<unsigned char>(help.output[end])) != 0 || help.output[end] == '-'))
        ++end;
      const std::string flag = help.output.substr(at, end - at);
      if (flag == "--help" || flag.size() <= 2) continue;
      ++flags;
      EXPECT_NE(doc.find("`" + flag), std::string::npos) << cmd << " " << flag << " is not in docs/ci.md";
    }
    EXPECT_GT(flags, 0u) << cmd;
  }
}

// Where the workers ran is a condition of the whole run: a different --pin, or a different set
// of CPUs the process could use, is said; a report from before schema 5 counts as --pin none.
TEST(check_comparable, says_when_the_pinning_or_the_allowed_cpus_differ) {
  compare_input a, b;
  for (auto* in : {&a, &b}) {
    in->metadata["machine.cpu_model"] = "AMD EPYC";
    in->metadata["machine.logical_cpus"] = "2";
    in->metadata["build.type"] = "Release";
  }
  const compare_options options;
  const auto has = [](const std::vector<std::string>& w, const std::string& what) {
    return std::any_of(w.begin(), w.end(), [&](const std::string& s) { return s.find(what) != std::string::npos; });
  };
  b.metadata["suite.pin"] = "none";
  EXPECT_FALSE(has(check_comparable(a, b, options), "pinning differs")) << "an old report was not pinned";
  b.metadata["suite.pin"] = "spread";
  EXPECT_TRUE(has(check_comparable(a, b, options), "the pinning differs: --pin none (baseline) vs --pin spread"));
  a.metadata["suite.pin"] = "spread";
  a.metadata["machine.topology.allowed_cpus"] = "0-1";
  b.metadata["machine.topology.allowed_cpus"] = "1";
  const auto w = check_comparable(a, b, options);
  EXPECT_FALSE(has(w, "pinning differs"));
  EXPECT_TRUE(has(w, "the CPUs the process could use differ: 0-1 (baseline) vs 1 (current)"));
}

}  // namespace
}  // namespace parbench::reports
