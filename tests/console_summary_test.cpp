#include "cli/console_summary.hpp"
#include "cli/summary_markdown.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using namespace parbench;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

bench::result_row aggregate(std::string backend, std::string kind, unsigned workers, double items_per_s, double speedup,
                            std::string kernel = "pi", std::string params = "rng=philox",
                            std::uint64_t size = 1u << 30) {
  bench::result_row r;
  r.kernel = std::move(kernel);
  r.params = std::move(params);
  r.backend = std::move(backend);
  r.kind = std::move(kind);
  r.schedule = r.kind == "peer" ? "pool" : "static";
  r.scaling = "strong";
  r.workers = workers;
  r.size = size;
  r.items = size;
  r.row_type = "aggregate";
  r.status = "ok";
  r.wall_s = static_cast<double>(r.size) / items_per_s;
  r.items_per_s = items_per_s;
  r.speedup = speedup;
  return r;
}

bench::suite one_size_suite() {
  bench::suite s;
  s.samples = {1u << 30};
  s.scaling = "strong";
  s.kernels = {bench::kernel_entry{}};
  return s;
}

// The line of `text` that starts with "  " + `start`.
std::string line_of(const std::string& text, const std::string& start) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("  " + start, 0) == 0) return line;
  ADD_FAILURE() << "no line starting with '" << start << "' in:\n" << text;
  return {};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(console_summary, compares_the_gpu_with_one_core_and_the_best_cpu_backend_at_full_width) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0), aggregate("threads", "backend", 1, 1e9, 1.0),
                    aggregate("threads", "backend", 2, 1.9e9, 1.9), aggregate("openmp", "backend", 2, 2e9, 2.0),
                    aggregate("cuda", "backend", 1, 4e11, 400.0)};
  report.results.back().schedule = "grid-stride";
  const std::string text = cli::summary_text(report, one_size_suite());
  EXPECT_THAT(text, HasSubstr("cuda: 400.0x one CPU core, 200.0x the best CPU backend at W=2 (openmp"));
}

TEST(console_summary, no_gpu_line_without_a_gpu_and_long_peer_names_stay_aligned) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0),
                    aggregate("python-numpy-forkserver", "peer", 1, 1e8, 0.1)};
  const std::string text = cli::summary_text(report, one_size_suite());
  EXPECT_THAT(text, Not(HasSubstr("one CPU core")));
  const std::string peer = line_of(text, "python-numpy-forkserver");
  const std::string serial = line_of(text, "serial ");
  EXPECT_THAT(peer, HasSubstr("python-numpy-forkserver pool        1"));
  EXPECT_EQ(serial.find(" static "), peer.find(" pool ")) << "the schedule column starts at one place";
  EXPECT_EQ(serial.find("   1 "), peer.find("   1 ")) << "so does W\n" << text;
}

TEST(console_summary, prints_one_section_per_kernel_with_the_static_bound_where_it_binds) {
  bench::suite s = one_size_suite();
  bench::kernel_entry imbalanced;
  imbalanced.name = "imbalanced";
  imbalanced.samples = {1u << 25};
  s.kernels.push_back(imbalanced);
  const std::string ip = "max_weight=16;profile=ramp;rng=philox";
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0), aggregate("threads", "backend", 2, 2e9, 2.0),
                    aggregate("serial", "reference", 1, 1e8, 1.0, "imbalanced", ip, 1u << 25),
                    aggregate("threads", "backend", 4, 2.5e8, 2.5, "imbalanced", ip, 1u << 25),
                    aggregate("threads", "backend", 4, 3.9e8, 3.9, "imbalanced", ip, 1u << 25)};
  report.results[3].static_bound = 2.6;
  report.results[4].schedule = "dynamic";
  report.results[4].static_bound = 2.6;
  // A break-even size of another kernel, not in the main sizes, stays out of the tables.
  report.results.push_back(aggregate("threads", "backend", 2, 1e6, 0.5, "pi", "rng=philox", 4096));
  const std::string text = cli::summary_text(report, s);
  const auto pi = text.find("\npi rng=philox: strong scaling, 2^30 samples in total");
  const auto imb = text.find("\nimbalanced " + ip + ": strong scaling, 2^25 samples in total");
  ASSERT_NE(pi, std::string::npos) << text;
  ASSERT_NE(imb, std::string::npos) << text;
  EXPECT_LT(pi, imb) << "in report order";
  EXPECT_EQ(count(text, "strong scaling"), 2u) << "one section per kernel and size:\n" << text;
  EXPECT_EQ(count(text, "threads "), 3u) << text;
  EXPECT_THAT(text, Not(HasSubstr("2^12"))) << "the break-even sweep is in the CSV only";
  const std::string pi_section = text.substr(pi, imb - pi);
  const std::string imb_section = text.substr(imb);
  EXPECT_THAT(pi_section, Not(HasSubstr("static bound"))) << "pi's static split is not bounded";
  EXPECT_THAT(imb_section, HasSubstr("static bound"));
  EXPECT_THAT(line_of(imb_section, "threads    ").substr(0, 40), HasSubstr("static"));
  EXPECT_THAT(imb_section, HasSubstr("dynamic"));
  EXPECT_THAT(imb_section, HasSubstr("2.60"));
  EXPECT_THAT(imb_section, HasSubstr("3.90"));
}

TEST(console_summary, break_even_rows_are_per_kernel_backend_and_schedule) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0)};
  bench::break_even_row a;
  a.backend = "threads";
  a.schedule = "static";
  a.workers = 2;
  a.break_even_size = 1u << 16;
  bench::break_even_row b = a;
  b.schedule = "dynamic";
  b.break_even_size.reset();
  report.break_even = {a, b};
  const std::string text = cli::summary_text(report, one_size_suite());
  EXPECT_THAT(line_of(text, "pi threads static"), HasSubstr("2^16"));
  EXPECT_THAT(line_of(text, "pi threads dynamic"), HasSubstr("never"));
}

TEST(console_summary, overhead_table_shows_whole_mechanism_names) {
  bench::overhead_row row;
  row.backend = "mpi";
  row.mechanism = "MPI Ibcast + W threads/rank + Allreduce";
  row.workers = 2;
  row.median_us = 58.9;
  const std::string text = cli::overhead_text({row});
  EXPECT_THAT(text, HasSubstr("MPI Ibcast + W threads/rank + Allreduce"));
  EXPECT_THAT(text, HasSubstr("58.9"));
}

}  // namespace

namespace {

// A kernel that moves memory gets a bytes/s column and a line on its untimed set-up; a stepped
// kernel's cost per step is a table of its own, per W.
TEST(console_summary, bandwidth_set_up_and_synchronisation_cost_per_step) {
  bench::report report;
  auto triad = aggregate("threads", "backend", 2, 1e9, 1.9, "triad", "passes=10", 1u << 25);
  triad.unit = "elements";
  triad.bytes_per_s = 2.4e10;
  triad.setup_s = 0.25;
  auto stepped = aggregate("fork", "backend", 2, 1e9, 0.5, "stepped", "steps=1000;rng=philox", 1u << 25);
  stepped.steps = 1000;
  stepped.sync_per_step_s = 4.25e-5;
  stepped.sync_per_step_s_min = 1.0e-5;
  stepped.sync_per_step_s_max = 7.5e-5;
  report.results = {aggregate("serial", "reference", 1, 5e8, 1.0, "triad", "passes=10", 1u << 25), triad, stepped};
  bench::suite s;
  s.samples = {1u << 25};
  bench::kernel_entry t, st;
  t.name = "triad";
  st.name = "stepped";
  s.kernels = {t, st};
  const std::string text = cli::summary_text(report, s);
  EXPECT_THAT(line_of(text, "backend"), HasSubstr("bytes/s"));
  EXPECT_THAT(line_of(text, "threads"), HasSubstr("24G"));
  EXPECT_THAT(text, HasSubstr("set-up, untimed before every run"));
  EXPECT_THAT(text, HasSubstr("0.250-0.250 s"));
  EXPECT_THAT(text, HasSubstr("synchronisation cost per step"));
  EXPECT_THAT(line_of(text, "stepped steps=1000;rng=philox fork static"), HasSubstr("42.5 [10.0, 75.0]"));
  EXPECT_EQ(cli::sync_text({triad}), "") << "no stepped kernel, no table";
}

TEST(console_summary, break_even_table_has_no_one_worker_column) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0)};
  bench::break_even_row one;
  one.backend = "threads";
  one.schedule = "static";
  one.workers = 1;
  one.break_even_size = 1u << 20;
  bench::break_even_row two = one;
  two.workers = 2;
  two.break_even_size = 1u << 16;
  report.break_even = {one, two};
  const std::string text = cli::summary_text(report, one_size_suite());
  EXPECT_THAT(text, HasSubstr("W=2"));
  EXPECT_THAT(text, Not(HasSubstr("W=1 "))) << text;
  EXPECT_THAT(text, Not(HasSubstr("2^20")));
  EXPECT_THAT(text, HasSubstr("slowest repetition beats serial's fastest"));
}

bench::overhead_row startup(std::string backend, unsigned workers, double median_us, unsigned inner_reps) {
  bench::overhead_row r;
  r.backend = std::move(backend);
  r.mechanism = std::string(1, 'm');  // not "m": GCC 12 warns wrongly (-Wrestrict) on that assignment here
  r.workers = workers;
  r.median_us = median_us;
  r.inner_reps = inner_reps;
  return r;
}

TEST(console_summary, a_start_up_cost_at_or_below_the_timer_resolution_is_shown_as_such) {
  // 20 ns timer, 100 inner repetitions: 0.2 ns per start.
  EXPECT_EQ(cli::startup_cell(startup("serial", 1, -0.00024, 100), 20), "<0.1") << "negative: never -0.0";
  EXPECT_EQ(cli::startup_cell(startup("serial", 1, 0.0, 100), 20), "<0.1");
  EXPECT_EQ(cli::startup_cell(startup("serial", 1, 0.04, 100), 20), "<0.1") << "would print as 0.0";
  EXPECT_EQ(cli::startup_cell(startup("threads", 2, 58.94, 100), 20), "58.9");
  // A coarse 1 us timer over 2 inner repetitions: 0.5 us per start.
  EXPECT_EQ(cli::startup_cell(startup("fork", 2, 0.45, 2), 1000), "<0.5");
  EXPECT_EQ(cli::startup_cell(startup("fork", 2, 0.5, 2), 1000), "<0.5") << "at the resolution";
  EXPECT_EQ(cli::startup_cell(startup("fork", 2, 0.7, 2), 1000), "0.7");
  EXPECT_EQ(cli::startup_cell(startup("fork", 2, 3.0, 0), 0), "3.0") << "resolution unknown";
  const std::string text =
      cli::overhead_text({startup("serial", 1, -0.00024, 100), startup("threads", 2, 12.5, 100)}, 20);
  EXPECT_THAT(text, Not(HasSubstr("-0.0")));
  EXPECT_THAT(line_of(text, "serial"), HasSubstr("<0.1"));
  EXPECT_THAT(text, HasSubstr("<X: at or below X microseconds"));
  EXPECT_THAT(cli::overhead_text({startup("threads", 2, 12.5, 100)}, 20), Not(HasSubstr("<X")))
      << "the note only when a cell needs it";
}

TEST(summary_markdown, the_console_tables_as_github_tables_with_warnings_and_a_header) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0), aggregate("threads", "backend", 2, 1.9e9, 1.9)};
  report.results[1].speedup_min = 1.8;
  report.results[1].speedup_max = 2.0;
  report.overhead = {startup("serial", 1, -0.0002, 100), startup("threads", 2, 12.5, 100)};
  const auto tables = cli::summary_tables(report, one_size_suite(), 20);
  const std::string md = cli::summary_markdown("parbench 1.0: default on Test CPU (2 CPUs), Release build", tables,
                                               {"load average at start was 3.00"});
  EXPECT_EQ(md.rfind("# parbench 1.0: default on Test CPU (2 CPUs), Release build\n", 0), 0u) << md;
  EXPECT_THAT(md, HasSubstr("## Warnings\n\n- load average at start was 3.00\n"));
  EXPECT_THAT(md, HasSubstr("### pi rng=philox: strong scaling, 2^30 samples in total (median of 5 repetitions)\n"));
  EXPECT_THAT(md, HasSubstr("| backend | schedule | W | time | samples/s | speedup | \\[min, max\\] | efficiency |"));
  EXPECT_THAT(md, HasSubstr("| :--- | :--- | ---: | ---: |"));
  EXPECT_THAT(md, HasSubstr("| threads | static | 2 | 0.5651s | 1.9G | 1.90 | \\[1.80, 2.00\\] |"));
  EXPECT_THAT(md, HasSubstr("### start-up cost"));
  EXPECT_THAT(md, HasSubstr("| serial | m | &lt;0.1 | - |")) << md;
  EXPECT_THAT(md, Not(HasSubstr("-0.0")));
}

TEST(summary_markdown, text_from_reports_cannot_become_markup) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0), aggregate("threads", "backend", 2, 1.9e9, 1.9)};
  report.results[1].backend = "<script>alert(1)</script>|x";
  report.results[1].status = "failed";
  report.results[1].error = "worker 1 crashed\n@octocat see [here](https://evil.example) *now*";
  const auto tables = cli::summary_tables(report, one_size_suite());
  const std::string md = cli::summary_markdown("h", tables, {"# not a heading\nnext line"});
  EXPECT_THAT(md, Not(HasSubstr("<script>")));
  EXPECT_THAT(md, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;\\|x"));
  EXPECT_THAT(
      md, HasSubstr("failed: worker 1 crashed @&#8203;octocat see \\[here\\](https:&#8203;//evil.example) \\*now\\*"));
  EXPECT_THAT(md, HasSubstr("- \\# not a heading next line\n"));
  // Each table row stays one line with as many cells as the header.
  std::istringstream in(md);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '|') continue;
    std::size_t pipes = 0;
    for (std::size_t i = 0; i < line.size(); ++i)
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++pipes;
    EXPECT_EQ(pipes, 11u) << line;
  }
}

}  // namespace

// --- trust warnings about the machine's shape ---

namespace {
bench::machine_info quiet_machine(const std::string& topology, const std::vector<int>& allowed = {}) {
  bench::machine_info m;
  m.online_cpus = 2;
  m.governor = "performance";
  m.boost = "off";
  m.topology = bench::load_topology(topology, allowed);
  return m;
}
bool any_has(const std::vector<std::string>& warnings, const std::string& what) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& w) { return w.find(what) != std::string::npos; });
}
}  // namespace

TEST(trust_warnings, none_for_a_quiet_machine_within_its_cores) {
  bench::report report;
  report.results = {aggregate("threads", "backend", 4, 4e9, 3.9)};
  EXPECT_TRUE(cli::trust_warnings(report, quiet_machine("core:4 pu:2"), "Release").empty());
}

TEST(trust_warnings, name_smt_sharing_oversubscription_a_small_cpuset_and_boost) {
  bench::report report;
  report.results = {aggregate("threads", "backend", 6, 4e9, 3.9)};
  const auto smt = cli::trust_warnings(report, quiet_machine("core:4 pu:2"), "Release");
  EXPECT_TRUE(any_has(smt, "W=6 is more workers than the 4 physical cores")) << ::testing::PrintToString(smt);
  report.results = {aggregate("threads", "backend", 9, 4e9, 3.9)};
  EXPECT_TRUE(
      any_has(cli::trust_warnings(report, quiet_machine("core:4 pu:2"), "Release"), "more workers than the 8 CPUs"));
  // A container given half the machine.
  const auto small = cli::trust_warnings(report, quiet_machine("core:4 pu:2", {0, 1, 2, 3}), "Release");
  EXPECT_TRUE(any_has(small, "may use 4 of the machine's 8 CPUs (0-3")) << ::testing::PrintToString(small);
  EXPECT_TRUE(any_has(small, "more workers than the 4 CPUs"));
  bench::machine_info boosted = quiet_machine("core:4 pu:1");
  boosted.boost = "on";
  report.results = {aggregate("threads", "backend", 2, 4e9, 1.9)};
  EXPECT_TRUE(any_has(cli::trust_warnings(report, boosted, "Release"), "CPU boost (turbo) is on"));
}

TEST(trust_warnings, compact_pinning_on_smt_siblings) {
  bench::report report;
  report.results = {aggregate("threads", "backend", 2, 4e9, 1.5)};
  report.results[0].pinning = "compact";
  EXPECT_TRUE(
      any_has(cli::trust_warnings(report, quiet_machine("core:4 pu:2"), "Release"), "--pin compact places W=2"));
  report.results[0].pinning = "spread";
  EXPECT_TRUE(cli::trust_warnings(report, quiet_machine("core:4 pu:2"), "Release").empty());
}

TEST(summary_markdown, has_the_machine_line_below_the_header) {
  const std::string md =
      cli::summary_markdown("parbench 0.1.0: default", {}, {}, "machine: 1 package; pinning: spread");
  EXPECT_EQ(md.rfind("# parbench 0.1.0: default\n\nmachine: 1 package; pinning: spread\n", 0), 0u) << md;
}
