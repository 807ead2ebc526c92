// Measurement conditions per repetition (bench/conditions.hpp, results.csv schema 4) and how
// the gate compares them (reports/compare_conditions.hpp).
#include "bench/conditions.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/records.hpp"
#include "reports/compare.hpp"
#include "reports/compare_conditions.hpp"
#include "tests/cli_helpers.hpp"

namespace parbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

TEST(proc_stat, the_aggregate_line_in_seconds) {
  const std::string text =
      "cpu  1000 50 250 90000 10 5 20 300 0 0\n"
      "cpu0 500 25 125 45000 5 2 10 150 0 0\n";
  const auto t = bench::parse_proc_stat(text, 100.0);
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->busy_s, (1000 + 50 + 250 + 5 + 20) / 100.0);  // idle and iowait are not busy
  EXPECT_DOUBLE_EQ(t->steal_s, 3.0);
}

TEST(proc_stat, malformed_text_reads_as_unknown) {
  EXPECT_FALSE(bench::parse_proc_stat("", 100.0));
  EXPECT_FALSE(bench::parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\n", 100.0));
  EXPECT_FALSE(bench::parse_proc_stat("cpu  1 2 3\n", 100.0));
  EXPECT_FALSE(bench::parse_proc_stat("cpu  1 2 x 4 5 6 7 8\n", 100.0));
  EXPECT_FALSE(bench::parse_proc_stat("cpu  1 2 3 4 5 6 7 8\n", 0.0));
}

TEST(loadavg, the_one_minute_figure) {
  EXPECT_DOUBLE_EQ(*bench::parse_loadavg("1.25 0.50 0.10 2/300 4242\n"), 1.25);
  EXPECT_FALSE(bench::parse_loadavg(""));
  EXPECT_FALSE(bench::parse_loadavg("busy"));
}

// 1.5 CPU-seconds of busy time on 2 CPUs over 1 s, 0.5 of them ours: the others used half the
// machine.
TEST(conditions, other_processes_share_of_the_machine) {
  const bench::machine_cpu_times before{100.0, 10.0}, after{101.5, 10.2};
  const auto c = bench::conditions_between(before, after, 0.5, 1.0, 2);
  EXPECT_DOUBLE_EQ(*c.other_cpu, 0.5);
  EXPECT_NEAR(*c.steal, 0.1, 1e-12);
  // Our own time read a tick high (clock-tick accounting) never makes the others' share negative.
  EXPECT_DOUBLE_EQ(*bench::conditions_between(before, after, 2.0, 1.0, 2).other_cpu, 0.0);
  EXPECT_FALSE(bench::conditions_between(before, after, 0.5, 0.0, 2).other_cpu);
}

TEST(conditions, a_probe_reads_this_machine) {
  const bench::conditions_probe probe;
  volatile double x = 0;
  for (int i = 0; i < 2000000; ++i) x = x + 1.0;
  const auto c = probe.finish(0.0);
  ASSERT_TRUE(c.other_cpu && c.steal && c.load1_start) << "this test needs Linux /proc";
  EXPECT_GE(*c.other_cpu, 0.0);
  EXPECT_LE(*c.other_cpu, 1.0);
  EXPECT_GE(*c.load1_start, 0.0);
}

reports::measurement_conditions quiet() {
  return {{0.02, 0.03, 0.02}, {0.0, 0.0, 0.0}, {0.1, 0.2, 0.1}, {1.9, 2.0, 1.95}};
}

TEST(compare_conditions, alike_sides_say_nothing) {
  EXPECT_EQ(reports::compare_conditions(quiet(), quiet()).text, "");
  // Recorded on one side only (an older report): not compared.
  EXPECT_EQ(reports::compare_conditions(reports::measurement_conditions{}, quiet()).text, "");
}

TEST(compare_conditions, a_busy_side_differs_badly) {
  auto busy = quiet();
  busy.other_cpu = {0.45, 0.5, 0.48};
  busy.cpu_per_wall = {1.0, 1.05, 1.1};
  const auto d = reports::compare_conditions(quiet(), busy);
  EXPECT_TRUE(d.badly);
  EXPECT_THAT(d.text, HasSubstr("other processes used 2% of the machine (baseline) vs 48% (current)"));
  EXPECT_THAT(d.text, HasSubstr("kept 1.95 CPUs busy (baseline) vs 1.05 (current)"));
}

TEST(compare_conditions, a_small_difference_differs_but_not_badly) {
  auto busier = quiet();
  busier.other_cpu = {0.2, 0.2, 0.2};
  busier.load1_start = {1.5, 1.5, 1.5};
  const auto d = reports::compare_conditions(quiet(), busier);
  EXPECT_FALSE(d.badly);
  EXPECT_THAT(d.text, HasSubstr("20% (current)"));
  EXPECT_THAT(d.text, HasSubstr("load average at the start 0.10 (baseline) vs 1.50 (current)"));
}

reports::sample_set set_with(std::vector<double> throughput, reports::measurement_conditions conditions) {
  reports::sample_set s;
  s.key = reports::config_key{"pi", "1", "rng=philox", "avx2", "threads", "static", "strong", 2, 1, 1, 100000000};
  s.throughput = std::move(throughput);
  s.wall_s.assign(s.throughput.size(), 0.5);
  s.conditions = std::move(conditions);
  s.schema_version = bench::schema_version;
  return s;
}

// A 40 % drop measured while the current side's machine was half busy: still called
// regressed (the numbers are what they are), but the verdict says under what conditions.
TEST(compare_conditions, a_verdict_under_badly_different_conditions_says_so) {
  const std::vector<double> base = {1.00e8, 1.01e8, 0.99e8, 1.02e8, 0.98e8, 1.00e8, 1.01e8, 0.99e8};
  std::vector<double> slow(base);
  for (double& x : slow) x *= 0.6;
  auto busy = quiet();
  busy.other_cpu = {0.5, 0.5, 0.5};
  const auto c = reports::compare_sets({set_with(base, quiet())}, {set_with(slow, busy)}, {});
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].result, reports::verdict::regressed);
  EXPECT_TRUE(c.rows[0].conditions_badly);
  EXPECT_THAT(c.rows[0].note, HasSubstr("verdict made under conditions that differ badly"));
  EXPECT_THAT(fmt::format("{}", fmt::join(c.warnings, "\n")), HasSubstr("measured under different conditions"));

  const auto alike = reports::compare_sets({set_with(base, quiet())}, {set_with(slow, quiet())}, {});
  EXPECT_THAT(alike.rows[0].note, Not(HasSubstr("conditions")));
  EXPECT_THAT(fmt::format("{}", fmt::join(alike.warnings, "\n")), Not(HasSubstr("conditions")));
}

// A real run records the conditions of every repetition, and the gate reads them back.
TEST(conditions, a_run_records_them_per_repetition) {
  const fs::path dir = fs::temp_directory_path() / ("parbench-conditions-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto run = test::run_parbench(
      "run -b serial,threads -w 2 -n 1e6 -r 3 --no-overhead --no-break-even --quiet --out '" + dir.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto in = reports::read_compare_input(dir);
  ASSERT_FALSE(in.sets.empty());
  for (const auto& s : in.sets) {
    EXPECT_EQ(s.conditions.other_cpu.size(), 3u) << s.key.label();
    EXPECT_EQ(s.conditions.steal.size(), 3u);
    EXPECT_EQ(s.conditions.load1_start.size(), 3u);
    EXPECT_EQ(s.conditions.cpu_per_wall.size(), 3u);
    for (const double v : s.conditions.other_cpu) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parbench
