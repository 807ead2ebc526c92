// Plots: make_plots() and `parbench plot` on small reports write valid PNG and SVG files, and
// unusable reports give clear errors. Needs /usr/bin/python3 with matplotlib (scripts/setup).

#include "reports/plot.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "bench/records.hpp"
#include "core/errors.hpp"
#include "reports/report_columns.hpp"
#include "reports/report_reader.hpp"
#include "reports/report_writer.hpp"
#include "tests/cli_helpers.hpp"

namespace parbench::reports {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Written for every report; per kernel K also K_speedup, K_efficiency, K_throughput, K_break_even.
const char* const plot_names[] = {"speedup", "efficiency", "throughput", "overhead", "sync", "break_even"};
const char* const kernel_plot_names[] = {"speedup", "efficiency", "throughput", "break_even"};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bench::result_row row_for(const std::string& kernel, const std::string& params, const std::string& unit,
                          const std::string& backend, const std::string& schedule, unsigned w, double wall) {
  bench::result_row r;
  r.kernel = kernel;
  r.kernel_version = 1;
  r.params = params;
  r.isa = "avx2";
  r.backend = backend;
  r.kind = backend == "serial" ? "reference" : "backend";
  r.schedule = schedule;
  r.scaling = "strong";
  r.workers = w;
  r.threads_per_rank = w;
  r.size = 1000000;
  r.unit = unit;
  r.seed = 1;
  r.status = "ok";
  r.result = "785398";
  r.items = 1000000;
  r.wall_s = wall;
  r.items_per_s = 1e6 / wall;
  return r;
}

// A small schema 2 report in the writer's own format: kernels pi (serial, threads static at
// W = 1, 2) and imbalanced (unit "draws", threads static and dynamic, with static_bound).
void write_small_report(const fs::path& dir, const std::string& drop_column = "") {
  fs::create_directories(dir);
  std::vector<bench::result_row> rows;
  auto add = [&](bench::result_row r, double speedup, std::optional<double> bound = std::nullopt) {
    for (unsigned rep = 0; rep < 3; ++rep) {
      bench::result_row raw = r;
      raw.row_type = "raw";
      raw.repetition = rep;
      raw.wall_s = *r.wall_s * (1 + 0.01 * rep);
      raw.workers_used = r.workers;
      rows.push_back(raw);
    }
    r.row_type = "aggregate";
    r.repetitions = 3;
    r.speedup = speedup;
    r.speedup_min = speedup * 0.97;
    r.speedup_max = speedup * 1.02;
    r.efficiency = speedup / r.workers;
    r.static_bound = bound;
    rows.push_back(r);
  };
  add(row_for("pi", "rng=philox", "samples", "serial", "static", 1, 0.0102), 1);
  for (unsigned w : {1u, 2u}) add(row_for("pi", "rng=philox", "samples", "threads", "static", w, 0.0106 / w), 0.96 * w);
  const std::string ip = "profile=ramp;max_weight=16;rng=philox";
  add(row_for("imbalanced", ip, "draws", "serial", "static", 1, 0.08), 1, 1.0);
  for (unsigned w : {1u, 2u}) {
    add(row_for("imbalanced", ip, "draws", "threads", "static", w, w == 1 ? 0.081 : 0.058), w == 1 ? 0.99 : 1.38,
        w == 1 ? 1.0 : 1.4);
    add(row_for("imbalanced", ip, "draws", "threads", "dynamic", w, 0.081 / w), 0.99 * w, w == 1 ? 1.0 : 1.4);
  }
  std::string csv = reports::to_csv(rows);
  if (!drop_column.empty()) {
    // Remove column `drop_column` from every line (no cell of this report is quoted).
    std::size_t index = 0;
    for (const auto& c : result_columns()) {
      if (c.name == drop_column) break;
      ++index;
    }
    std::string out, line;
    std::istringstream in(csv);
    while (std::getline(in, line)) {
      std::size_t start = 0;
      for (std::size_t i = 0; i < index; ++i) start = line.find(',', start) + 1;
      const std::size_t end = line.find(',', start);
      out += line.substr(0, start) + (end == std::string::npos ? "" : line.substr(end + 1)) + "\n";
    }
    csv = out;
  }
  std::ofstream(dir / "results.csv", std::ios::binary) << csv;
  std::vector<bench::overhead_row> overhead;
  for (const auto& [mech, backend, w, us] :
       {std::tuple{"thread", "threads", 1u, 20.0}, std::tuple{"thread", "threads", 2u, 35.0},
        std::tuple{"fork", "fork", 1u, 300.0}, std::tuple{"fork", "fork", 2u, 560.0}}) {
    bench::overhead_row o;
    o.mechanism = mech;
    o.backend = backend;
    o.workers = w;
    o.median_us = us;
    o.min_us = us * 0.9;
    o.max_us = us * 1.2;
    overhead.push_back(o);
  }
  std::ofstream(dir / "overhead.csv", std::ios::binary) << reports::to_csv(overhead);
  std::vector<bench::break_even_row> be(3);
  be[0].kernel = "pi";
  be[0].params = "rng=philox";
  be[0].backend = "threads";
  be[0].schedule = "static";
  be[0].workers = 2;
  be[0].break_even_size = 65536;
  be[0].sizes_tried = "4096;16384;65536";
  be[1] = be[0];
  be[1].kernel = "imbalanced";
  be[1].params = ip;
  be[1].unit = "draws";
  be[2] = be[1];
  be[2].schedule = "dynamic";
  be[2].break_even_size.reset();
  std::ofstream(dir / "break_even.csv", std::ios::binary) << reports::to_csv(be);
  std::ofstream(dir / "metadata.json")
      << R"({"schema_version":2,"parbench_version":"0.1.0","timestamp":"2026-11-26T02:00:00Z",)"
         R"("command_line":"parbench run","seed":1,"git_commit":"abc","machine":{"hostname":"h",)"
         R"("cpu_model":"AMD EPYC 9R14","logical_cpus":2},"build":{"type":"Release","compiler":"GNU 12.2.0",)"
         R"("flags":"-O3","isa":"avx2","native":false},"libraries":{}})";
}

void expect_valid_plot(const fs::path& out, const std::string& name) {
  const std::string png = slurp(out / (name + ".png"));
  ASSERT_GT(png.size(), 1000u) << name;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
  const std::string svg = slurp(out / (name + ".svg"));
  ASSERT_GT(svg.size(), 1000u) << name;
  EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0) << name;
  EXPECT_THAT(svg, HasSubstr("<svg")) << name;
  EXPECT_THAT(svg, HasSubstr("</svg>")) << name;
}

void expect_valid_plots(const fs::path& out, const std::vector<std::string>& kernels = {"pi"}) {
  for (const char* name : plot_names) expect_valid_plot(out, name);
  for (const auto& k : kernels)
    for (const char* name : kernel_plot_names) expect_valid_plot(out, k + "_" + name);
}

class plot_files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parbench_plot_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(plot_files, FindsAPythonWithMatplotlibEvenWhenPythonPointsElsewhere) {
  ::setenv("PYTHON", "/bin/false", 1);
  const fs::path py = find_plot_python();
  ::unsetenv("PYTHON");
  EXPECT_FALSE(py.empty());
  EXPECT_NE(py, fs::path("/bin/false"));
}

TEST_F(plot_files, SmallReportGivesValidPngAndSvgPerKernel) {
  write_small_report(dir_ / "report");
  make_plots(dir_ / "report", dir_ / "out");
  expect_valid_plots(dir_ / "out", {"pi", "imbalanced"});
  // The title carries machine, build and date; the overview has a panel per kernel.
  const std::string overview = slurp(dir_ / "out" / "speedup.svg");
  EXPECT_THAT(overview, HasSubstr("AMD EPYC 9R14"));
  EXPECT_THAT(overview, HasSubstr("pi (strong scaling"));
  EXPECT_THAT(overview, HasSubstr("imbalanced (strong scaling"));
  // Per kernel: only that kernel's lines, one per (backend, schedule), and its static bound.
  const std::string pi = slurp(dir_ / "out" / "pi_speedup.svg");
  const std::string imbalanced = slurp(dir_ / "out" / "imbalanced_speedup.svg");
  EXPECT_THAT(pi, HasSubstr("threads static"));
  EXPECT_THAT(pi, ::testing::Not(HasSubstr("threads dynamic")));
  EXPECT_THAT(pi, ::testing::Not(HasSubstr("static split bound")));
  EXPECT_THAT(imbalanced, HasSubstr("threads static"));
  EXPECT_THAT(imbalanced, HasSubstr("threads dynamic"));
  EXPECT_THAT(imbalanced, HasSubstr("static split bound"));
  EXPECT_THAT(slurp(dir_ / "out" / "imbalanced_efficiency.svg"), HasSubstr("static split bound"));
  // Throughput in the kernel's unit.
  EXPECT_THAT(slurp(dir_ / "out" / "pi_throughput.svg"), HasSubstr("samples per second"));
  EXPECT_THAT(slurp(dir_ / "out" / "imbalanced_throughput.svg"), HasSubstr("draws per second"));
  // Its results hold one size: the crossover plot has no sweep to draw and says so.
  EXPECT_THAT(slurp(dir_ / "out" / "imbalanced_break_even.svg"), HasSubstr("fewer than two sizes"));
}

// plot.py accepts the versions bench/records.hpp names, passed by make_plots: a report at the
// current version plots (above), the next version is refused.
TEST_F(plot_files, SchemaVersionsComeFromRecordsHpp) {
  std::string expected;
  for (int v = bench::oldest_schema_version; v <= bench::schema_version; ++v)
    expected += (expected.empty() ? "" : ",") + std::to_string(v);
  EXPECT_EQ(plot_schema_versions(), expected);
  write_small_report(dir_ / "report");
  std::string csv = slurp(dir_ / "report" / "results.csv");
  const std::string current = "\r\n" + std::to_string(bench::schema_version) + ",";
  const std::string next = "\r\n" + std::to_string(bench::schema_version + 1) + ",";
  csv.replace(csv.find(current), current.size(), next);
  std::ofstream(dir_ / "report" / "results.csv", std::ios::binary) << csv;
  try {
    make_plots(dir_ / "report", dir_ / "out");
    FAIL() << "expected an error";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("results.csv:2:1: unknown schema_version '" +
                                    std::to_string(bench::schema_version + 1) + "'"));
  }
}

// A stepped kernel's synchronisation cost per step is drawn per (kernel, backend, schedule);
// a report without one says so in the plot.
TEST_F(plot_files, SyncPlotShowsTheCostPerStepOfStepwiseKernels) {
  write_small_report(dir_ / "report");
  make_plots(dir_ / "report", dir_ / "plain");
  EXPECT_THAT(slurp(dir_ / "plain" / "sync.svg"), HasSubstr("no stepped kernel in this report"));
  std::vector<bench::result_row> rows = reports::read_results((dir_ / "report" / "results.csv").string());
  for (unsigned w : {1u, 2u}) {
    bench::result_row r = row_for("stepped", "steps=100;rng=philox", "samples", "threads", "static", w, 0.01);
    r.row_type = "aggregate";
    r.steps = 100;
    r.sync_per_step_s = w * 2e-6;
    r.sync_per_step_s_min = w * 1e-6;
    r.sync_per_step_s_max = w * 3e-6;
    rows.push_back(r);
  }
  {
    std::ofstream out(dir_ / "report" / "results.csv", std::ios::binary);
    out << reports::to_csv(rows);
  }
  make_plots(dir_ / "report", dir_ / "out");
  const std::string sync = slurp(dir_ / "out" / "sync.svg");
  EXPECT_THAT(sync, HasSubstr("stepped steps=100;rng=philox threads static"));
  EXPECT_THAT(sync, Not(HasSubstr("no stepped kernel")));
}

// Reports before schema 5 have no topology: their captions and axes are as they were.
void expect_no_topology(const fs::path& out) {
  for (const char* name : {"speedup", "efficiency", "throughput", "overhead"}) {
    const std::string svg = slurp(out / (std::string(name) + ".svg"));
    EXPECT_THAT(svg, Not(HasSubstr("CPUs allowed"))) << name;
    EXPECT_THAT(svg, Not(HasSubstr("pinning"))) << name;
    EXPECT_THAT(svg, Not(HasSubstr("SMT"))) << name;
    EXPECT_THAT(svg, Not(HasSubstr("None"))) << name;
    EXPECT_THAT(svg, Not(HasSubstr("undefined"))) << name;
  }
}

// A report written before stepped kernels (schema 2): tests/data.
TEST_F(plot_files, SchemaTwoReportPlots) {
  const fs::path old = fs::path(PARBENCH_SOURCE_DIR) / "tests" / "data" / "schema2_report";
  make_plots(old, dir_ / "out");
  expect_valid_plots(dir_ / "out", {"imbalanced"});
  expect_no_topology(dir_ / "out");
}

// A report written by parbench 0.1.0 (schema 1: pi only, no schedule): tests/data.
TEST_F(plot_files, SchemaOneReportPlotsAsPi) {
  const fs::path old = fs::path(PARBENCH_SOURCE_DIR) / "tests" / "data" / "schema1_report";
  make_plots(old, dir_ / "out");
  expect_valid_plots(dir_ / "out", {"pi"});
  EXPECT_FALSE(fs::exists(dir_ / "out" / "imbalanced_speedup.png"));
  const std::string speedup = slurp(dir_ / "out" / "pi_speedup.svg");
  EXPECT_THAT(speedup, HasSubstr("AMD EPYC"));
  EXPECT_THAT(speedup, HasSubstr("threads"));
  EXPECT_THAT(speedup, HasSubstr("n = 1e+06 samples"));  // the suite's size, not the break-even sweep's
  EXPECT_THAT(slurp(dir_ / "out" / "pi_throughput.svg"), HasSubstr("samples per second"));
  expect_no_topology(dir_ / "out");
  const auto r = test::run_parbench("plot '" + old.string() + "' -o '" + (dir_ / "cmd").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is a schema 1 report (read as kernel pi"));
  expect_valid_plots(dir_ / "cmd", {"pi"});
}

TEST_F(plot_files, CommandWritesIntoTheReportByDefault) {
  write_small_report(dir_ / "report");
  const auto r = test::run_parbench("plot '" + (dir_ / "report").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("plots written to"));
  expect_valid_plots(dir_ / "report" / "plots", {"pi", "imbalanced"});
}

TEST_F(plot_files, RealReportFromParbenchRun) {
  const fs::path report = dir_ / "run";
  const auto run = test::run_parbench(
      "run --backend serial,threads --workers 1,2 --samples 1e5 --repetitions 3 "
      "--quiet --out '" +
      report.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  make_plots(report, report / "plots");
  expect_valid_plots(report / "plots", {"pi"});
  // The scaling plots use the suite's size, not the break-even sweep's sizes that share results.csv.
  EXPECT_THAT(slurp(report / "plots" / "speedup.svg"), HasSubstr("n = 1e+05 samples"));
}

TEST_F(plot_files, MissingColumnIsAClearError) {
  write_small_report(dir_ / "report", "speedup");
  try {
    make_plots(dir_ / "report", dir_ / "out");
    FAIL() << "expected an error";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir_ / "report" / "results.csv").string() + ":1:1: missing column 'speedup'"));
  }
  EXPECT_FALSE(fs::exists(dir_ / "out" / "speedup.png"));
  const auto r = test::run_parbench("plot '" + (dir_ / "report").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("missing column 'speedup'"));
}

TEST_F(plot_files, MissingReportFilesAreNamed) {
  fs::create_directories(dir_ / "empty");
  const auto r = test::run_parbench("plot '" + (dir_ / "empty").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("metadata.json: missing file"));
}

TEST_F(plot_files, ScriptOverrideMustExist) {
  write_small_report(dir_ / "report");
  ::setenv("PARBENCH_PLOT_SCRIPT", "/nonexistent/plot.py", 1);
  EXPECT_THROW(make_plots(dir_ / "report", dir_ / "out"), report_error);
  ::unsetenv("PARBENCH_PLOT_SCRIPT");
}

// --- Reports built for the drawing tests: backends, worker counts, scaling, failures ----------

struct report_spec {
  std::vector<std::string> backends = {"serial", "threads", "fork"};
  std::vector<unsigned> workers = {1, 2, 4};
  std::string scaling = "strong";
  std::vector<std::uint64_t> sweep;         ///< break-even sweep sizes (strong rows, added to results)
  std::string failed_backend;               ///< its aggregates are `failed`
  std::string meta_extra;                   ///< JSON members added to metadata.json (leading comma)
  std::string machine_extra;                ///< JSON members added to metadata machine (leading comma)
  std::string suite_extra;                  ///< JSON members added to metadata suite (leading comma)
  unsigned cpus = 2;                        ///< machine.logical_cpus and online_cpus
  std::string cpu_model = "AMD EPYC 9R14";  ///< machine.cpu_model
  bool overhead = true;
  double serial_overhead_us = 0.01;  ///< median of the serial "function call" row
};

// Wall time of a configuration: serial 1 s per 1e6 items; backends at W scale well up to 2 cores.
double model_wall(const std::string& backend, unsigned w, double items) {
  const double serial = items / 1e6;
  if (backend == "serial") return serial;
  return serial * 1.05 / std::min(w, 2u) + 2e-4 * w;
}

void write_report(const fs::path& dir, const report_spec& spec) {
  fs::create_directories(dir);
  std::vector<bench::result_row> rows;
  auto add = [&](const std::string& backend, unsigned w, std::uint64_t size, const std::string& scaling) {
    bench::result_row r = row_for("pi", "rng=philox", "samples", backend, "static", w, 1.0);
    r.scaling = scaling;
    r.size = size;
    r.items = size;
    const double wall = model_wall(backend, w, static_cast<double>(size));
    r.row_type = "aggregate";
    r.repetitions = 3;
    r.wall_s = wall;
    r.wall_s_min = wall * 0.95;
    r.wall_s_max = wall * 1.1;
    r.items_per_s = static_cast<double>(size) / wall;
    const double serial = model_wall("serial", 1, static_cast<double>(size));
    r.speedup = serial / wall;
    r.speedup_min = serial / *r.wall_s_max;
    r.speedup_max = serial / *r.wall_s_min;
    r.efficiency = *r.speedup / w;
    if (backend == spec.failed_backend) {
      r.status = "failed";
      r.error = "self-check failed";
      r.wall_s.reset();
      r.speedup.reset();
      r.efficiency.reset();
      r.items_per_s.reset();
    }
    rows.push_back(r);
  };
  const std::uint64_t n = 1000000;
  for (const auto& b : spec.backends)
    for (unsigned w : spec.workers) {
      if (b == "serial" && w != 1) continue;
      add(b, w, spec.scaling == "weak" ? n * w : n, spec.scaling);
      for (std::uint64_t size : spec.sweep) add(b, w, size, "strong");
    }
  std::ofstream(dir / "results.csv", std::ios::binary) << reports::to_csv(rows);
  std::vector<bench::overhead_row> overhead;
  if (spec.overhead) {
    for (const auto& b : spec.backends)
      for (unsigned w : spec.workers) {
        if (b == "serial" && w != 1) continue;
        bench::overhead_row o;
        o.mechanism = b == "serial" ? "function call" : b + " start";
        o.backend = b;
        o.workers = w;
        o.median_us = b == "serial" ? spec.serial_overhead_us : 20.0 * w;
        o.min_us = o.median_us - 0.01;
        o.max_us = o.median_us * 1.2 + 0.01;
        o.inner_reps = 1000;
        overhead.push_back(o);
      }
    std::ofstream(dir / "overhead.csv", std::ios::binary) << reports::to_csv(overhead);
  }
  std::string sweep_json;
  for (auto size : spec.sweep) sweep_json += (sweep_json.empty() ? "" : ",") + std::to_string(size);
  std::ofstream(dir / "metadata.json")
      << R"({"schema_version":3,"parbench_version":"0.1.0","timestamp":"2026-11-26T02:00:00Z",)"
         R"("command_line":"parbench run","seed":1,"git_commit":"abc","machine":{"hostname":"h","cpu_model":")"
      << spec.cpu_model << R"(","logical_cpus":)" << spec.cpus << R"(,"online_cpus":)" << spec.cpus
      << spec.machine_extra
      << R"(},"build":{"type":"Release","compiler":"GNU 12.2.0",)"
         R"("flags":"-O3","isa":"avx2","native":false},"libraries":{},"suite":{"name":"default","samples":[1000000],)"
         R"("scaling":")"
      << spec.scaling << R"(","break_even_sizes":[)" << sweep_json << "]" << spec.suite_extra << "}" << spec.meta_extra
      << "}";
}

// metadata machine.topology (schema 5) of one package with `cores` x `threads`, every CPU allowed,
// as bench/topology.cpp writes it.
std::string topology_json(unsigned cores, unsigned threads) {
  const std::string c = std::to_string(cores);
  const std::string cpus = std::to_string(cores * threads);
  const std::string last = std::to_string(cores * threads - 1);
  return R"(,"boost":"unknown","topology":{"source":"machine","packages":1,"numa_nodes":1,"cores":)" + c +
         R"(,"cpus":)" + cpus + R"(,"smt_per_core":)" + std::to_string(threads) +
         R"(,"caches":[{"level":1,"bytes":32768,"instances":)" + c + R"(},{"level":2,"bytes":1048576,"instances":)" +
         c + R"(},{"level":3,"bytes":33554432,"instances":1}],"allowed_cpus":"0-)" + last +
         R"(","allowed_cpu_count":)" + cpus + R"(,"allowed_cores":)" + c + R"(,"smt_boundary_workers":)" + c + "}";
}

// The contract's FALLBACK style (FNV-1a 32-bit of the name), as the C++ side computes it.
std::uint32_t fnv1a(const std::string& text) {
  std::uint32_t h = 2166136261U;
  for (const unsigned char c : text) h = (h ^ c) * 16777619U;
  return h;
}
std::string fallback_colour(const std::string& name) {
  const char* const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours[fnv1a(name) % 10];
}

// The x tick labels of an SVG plot and their x positions, in order.
std::vector<std::pair<std::string, double>> x_ticks(const std::string& svg) {
  std::vector<std::pair<std::string, double>> ticks;
  const std::regex label(R"re(<text [^>]*x="([0-9.]+)"[^>]*>([^<]*)</text>)re");
  for (std::size_t at = svg.find("<g id=\"xtick_"); at != std::string::npos; at = svg.find("<g id=\"xtick_", at + 1)) {
    std::smatch m;
    const std::string rest = svg.substr(at, 4000);
    if (std::regex_search(rest, m, label)) ticks.emplace_back(m[2].str(), std::stod(m[1].str()));
  }
  return ticks;
}

// The x position of the <text> element whose content is `text`, or -1.
double text_x(const std::string& svg, const std::string& text) {
  std::smatch m;
  const std::regex element(R"re(<text [^>]*x="([0-9.]+)"[^>]*>)re" + text + "</text>");
  return std::regex_search(svg, m, element) ? std::stod(m[1].str()) : -1;
}

std::string run_plot(const fs::path& report, const fs::path& out, int expected_exit = 0) {
  const auto r = test::run_parbench("plot '" + report.string() + "' -o '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, expected_exit) << r.output;
  return r.output;
}

TEST(fallback_style, MatchesTheFnv1aVectors) {
  EXPECT_EQ(fnv1a(""), 2166136261U);
  EXPECT_EQ(fnv1a("a"), 0xe40c292cU);
}

// A backend keeps its colour in every plot and every report, whichever other backends ran:
// from metadata backend_styles, else the FALLBACK style of its name (the same formula as C++).
TEST_F(plot_files, BackendColoursAreStableAcrossReports) {
  const std::string styles =
      R"(,"backend_styles":{"serial":{"colour":"#4d4d4d","marker":"o"},"threads":{"colour":"#1f77b4",)"
      R"("marker":"s"},"fork":{"colour":"#ff7f0e","marker":"P"}})";
  report_spec all;
  all.meta_extra = styles;
  report_spec fork_only;
  fork_only.backends = {"serial", "fork"};
  fork_only.meta_extra = styles;
  write_report(dir_ / "all", all);
  write_report(dir_ / "fork", fork_only);
  run_plot(dir_ / "all", dir_ / "all_out");
  run_plot(dir_ / "fork", dir_ / "fork_out");
  for (const char* plot : {"speedup", "efficiency", "throughput", "overhead"}) {
    const std::string a = slurp(dir_ / "all_out" / (std::string(plot) + ".svg"));
    const std::string f = slurp(dir_ / "fork_out" / (std::string(plot) + ".svg"));
    EXPECT_THAT(a, HasSubstr("stroke: #ff7f0e")) << plot;
    EXPECT_THAT(a, HasSubstr("stroke: #1f77b4")) << plot;
    EXPECT_THAT(f, HasSubstr("stroke: #ff7f0e")) << plot;
    EXPECT_THAT(f, Not(HasSubstr("stroke: #1f77b4"))) << plot;  // threads did not run there
  }
  // Without backend_styles (older reports, peers): the fallback style of the name.
  report_spec old;
  old.backends = {"serial", "threads", "openmp", "fork"};
  write_report(dir_ / "old", old);
  run_plot(dir_ / "old", dir_ / "old_out");
  const std::string speedup = slurp(dir_ / "old_out" / "speedup.svg");
  for (const auto& b : old.backends) EXPECT_THAT(speedup, HasSubstr("stroke: " + fallback_colour(b))) << b;
}

// Two schedules of one backend keep its colour and differ by line style.
TEST_F(plot_files, SchedulesOfOneBackendShareItsColourWithOtherLineStyles) {
  write_small_report(dir_ / "report");
  run_plot(dir_ / "report", dir_ / "out");
  const std::string svg = slurp(dir_ / "out" / "imbalanced_speedup.svg");
  const std::string colour = fallback_colour("threads");
  EXPECT_THAT(svg, HasSubstr("stroke-dashoffset: 0; stroke: " + colour + "; stroke-width: 1.5"));  // dashed
  EXPECT_THAT(svg, HasSubstr("fill: none; stroke: " + colour + "; stroke-width: 1.5"));            // solid
}

// Workers on a log2 axis with ticks exactly at the measured W; the 2 cores marked and W = 4 shaded
// as oversubscribed; the text of the SVG is text (<text> elements, searchable).
TEST_F(plot_files, WorkersAxisIsLog2WithTicksAtTheMeasuredWorkers) {
  report_spec spec;
  spec.workers = {1, 2, 4, 8};
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  for (const char* plot : {"pi_speedup", "pi_efficiency", "pi_throughput", "overhead"}) {
    const std::string svg = slurp(dir_ / "out" / (std::string(plot) + ".svg"));
    const auto ticks = x_ticks(svg);
    ASSERT_EQ(ticks.size(), 4U) << plot;
    EXPECT_EQ(ticks[0].first, "1");
    EXPECT_EQ(ticks[1].first, "2");
    EXPECT_EQ(ticks[2].first, "4");
    EXPECT_EQ(ticks[3].first, "8");
    // Log2: each doubling is the same distance.
    EXPECT_NEAR(ticks[2].second - ticks[1].second, ticks[1].second - ticks[0].second, 0.5) << plot;
    EXPECT_NEAR(ticks[3].second - ticks[2].second, ticks[1].second - ticks[0].second, 0.5) << plot;
    EXPECT_THAT(svg, HasSubstr("workers W (log2 scale)")) << plot;
    EXPECT_THAT(svg, HasSubstr(">2 cores</text>")) << plot;
    EXPECT_THAT(svg, HasSubstr(">oversubscribed (W &gt; 2 cores)</text>")) << plot;
    EXPECT_THAT(svg, Not(HasSubstr("SMT"))) << plot;  // no topology in the metadata: no boundary to mark
    EXPECT_THAT(svg, ::testing::AnyOf(HasSubstr(">fork static</text>"), HasSubstr(">fork start (fork)</text>")))
        << plot;
  }
  const std::string speedup = slurp(dir_ / "out" / "pi_speedup.svg");
  EXPECT_THAT(speedup, HasSubstr(">threads static</text>"));
  EXPECT_THAT(speedup, HasSubstr(">ideal: min(W, cores)</text>"));
  EXPECT_THAT(slurp(dir_ / "out" / "pi_throughput.svg"), HasSubstr("linear"));
}

TEST_F(plot_files, OneBackendAndOneWorkerCountPlot) {
  report_spec spec;
  spec.backends = {"serial"};
  spec.workers = {1};
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  expect_valid_plots(dir_ / "out");
  const auto ticks = x_ticks(slurp(dir_ / "out" / "speedup.svg"));
  ASSERT_EQ(ticks.size(), 1U);
  EXPECT_EQ(ticks[0].first, "1");
  EXPECT_THAT(slurp(dir_ / "out" / "speedup.svg"), HasSubstr(">serial static</text>"));
}

// A weak-scaling report draws weak-scaling plots: efficiency T(1)/T(W) at fixed work per worker.
TEST_F(plot_files, WeakScalingReportDrawsWeakScalingPlots) {
  report_spec spec;
  spec.scaling = "weak";
  spec.sweep = {4096, 65536};  // strong rows of the sweep: they belong to break_even only
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  expect_valid_plots(dir_ / "out");
  const std::string efficiency = slurp(dir_ / "out" / "efficiency.svg");
  EXPECT_THAT(efficiency, HasSubstr("weak-scaling efficiency T(1) / T(W)"));
  EXPECT_THAT(efficiency, HasSubstr("weak scaling, n = 1e+06 samples per worker"));
  EXPECT_THAT(efficiency, Not(HasSubstr("strong scaling")));
  EXPECT_THAT(efficiency, Not(HasSubstr("aggregate rows with status ok")));
  EXPECT_THAT(slurp(dir_ / "out" / "speedup.svg"), HasSubstr("scaled speedup"));
  EXPECT_THAT(slurp(dir_ / "out" / "throughput.svg"), HasSubstr(">threads static</text>"));
}

// Failed aggregates are left out; a backend that failed everywhere has no line.
TEST_F(plot_files, FailedRowsAreLeftOut) {
  report_spec spec;
  spec.failed_backend = "fork";
  spec.overhead = false;
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  const std::string speedup = slurp(dir_ / "out" / "speedup.svg");
  EXPECT_THAT(speedup, HasSubstr(">threads static</text>"));
  EXPECT_THAT(speedup, Not(HasSubstr(">fork static</text>")));
}

// Nothing at all to draw (every row failed, no start-up cost, no sweep): exit 2, and the images
// that were written say why.
TEST_F(plot_files, NothingToPlotIsExitTwo) {
  report_spec spec;
  spec.backends = {"threads"};
  spec.failed_backend = "threads";
  spec.overhead = false;
  write_report(dir_ / "report", spec);
  const std::string out = run_plot(dir_ / "report", dir_ / "out", 2);
  EXPECT_THAT(out, HasSubstr("nothing to plot: "));
  EXPECT_THAT(slurp(dir_ / "out" / "speedup.svg"), HasSubstr("no strong-scaling aggregate rows with status ok"));
}

// Text from the report is drawn as written: no mathtext, no markup.
TEST_F(plot_files, ReportTextIsNeitherMathtextNorMarkup) {
  report_spec spec;
  spec.cpu_model = "$x^2$ <b>CPU</b>";
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  for (const char* plot : {"speedup", "overhead", "break_even"}) {
    const std::string svg = slurp(dir_ / "out" / (std::string(plot) + ".svg"));
    // In a <text> element as written (mathtext would split it and keep the source in a comment only).
    EXPECT_THAT(svg, HasSubstr(">$x^2$ &lt;b&gt;CPU&lt;/b&gt;, 2 CPUs")) << plot;
    EXPECT_THAT(svg, Not(HasSubstr("<b>"))) << plot;
  }
}

// A start-up cost at or below the timer's resolution (here negative) is drawn at the resolution
// per start, as an open marker labelled so; never a negative or vanishing point.
TEST_F(plot_files, StartUpCostAtTheTimerResolutionIsShownAsSuch) {
  report_spec spec;
  spec.serial_overhead_us = -0.00024;
  spec.meta_extra = R"(,"timer":{"clock":"std::chrono::steady_clock","resolution_ns":20})";
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  const std::string svg = slurp(dir_ / "out" / "overhead.svg");
  EXPECT_THAT(svg, HasSubstr("≤ timer resolution"));
  EXPECT_THAT(svg, HasSubstr(">≤ 2e-05</text>"));  // 20 ns over 1000 starts, in microseconds
  EXPECT_THAT(svg, HasSubstr("log scale"));
  EXPECT_THAT(svg, HasSubstr(">function call (serial)</text>"));
}

// Break-even as a crossover: time against size at W = the cores (2), serial the reference, the
// crossing from break_even.csv marked; W = 1 rows of older reports are not drawn.
TEST_F(plot_files, BreakEvenIsACrossoverPlotAtTheCoreCount) {
  report_spec spec;
  spec.sweep = {4096, 16384, 65536, 262144};
  write_report(dir_ / "report", spec);
  std::vector<bench::break_even_row> be;
  for (const auto& [backend, w, size] : {std::tuple{"threads", 1U, std::optional<std::uint64_t>{4096}},
                                         std::tuple{"threads", 2U, std::optional<std::uint64_t>{65536}},
                                         std::tuple{"fork", 2U, std::optional<std::uint64_t>{}}}) {
    bench::break_even_row r;
    r.kernel = "pi";
    r.params = "rng=philox";
    r.backend = backend;
    r.schedule = "static";
    r.workers = w;
    r.break_even_size = size;
    r.sizes_tried = "4096;16384;65536;262144";
    be.push_back(r);
  }
  std::ofstream(dir_ / "report" / "break_even.csv", std::ios::binary) << reports::to_csv(be);
  run_plot(dir_ / "report", dir_ / "out");
  const std::string svg = slurp(dir_ / "out" / "pi_break_even.svg");
  EXPECT_THAT(svg, HasSubstr("W = 2, the largest measured W &lt;= 2 cores"));
  EXPECT_THAT(svg, HasSubstr(">serial (reference, W = 1)</text>"));
  EXPECT_THAT(svg, HasSubstr(">threads static: beats serial from n = 6.55e+04</text>"));
  EXPECT_THAT(svg, HasSubstr(">fork static: never beats serial on the sweep</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("4.1e+03")));  // the W = 1 crossing
  EXPECT_THAT(svg, HasSubstr("size (samples, log scale)"));
  EXPECT_THAT(svg, HasSubstr("median wall time (seconds, log scale)"));
}

// The machine's shape (metadata machine.topology, schema 5) is one line of every caption, with
// the pinning; where W goes past the physical cores, a dashed line at the SMT boundary.
TEST_F(plot_files, TopologyInTheCaptionAndTheSmtBoundaryWhereWGoesPastIt) {
  report_spec spec;
  spec.workers = {1, 2, 4};
  spec.cpus = 4;
  spec.machine_extra = topology_json(2, 2);
  spec.suite_extra = R"(,"pin":"compact")";
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  for (const char* plot : {"speedup", "pi_speedup", "pi_efficiency", "pi_throughput", "overhead", "break_even"}) {
    const std::string svg = slurp(dir_ / "out" / (std::string(plot) + ".svg"));
    EXPECT_THAT(svg, HasSubstr(">1 package, 2 cores x 2 threads, L3 32 MiB; 4 of 4 CPUs allowed; pinning: compact<"))
        << plot;
  }
  for (const char* plot : {"pi_speedup", "pi_efficiency", "pi_throughput", "overhead"}) {
    const std::string svg = slurp(dir_ / "out" / (std::string(plot) + ".svg"));
    EXPECT_THAT(svg, HasSubstr(">W &gt; 2 share physical cores (SMT)</text>")) << plot;
    // The label sits on the boundary, W = 2, not on the core count (4).
    const auto ticks = x_ticks(svg);
    ASSERT_EQ(ticks.size(), 3U) << plot;
    EXPECT_NEAR(text_x(svg, " SMT beyond here"), ticks[1].second, 0.01) << plot;
    EXPECT_THAT(svg, HasSubstr(">4 cores</text>")) << plot;
  }
  // Break-even is drawn against size, not W: no boundary there.
  EXPECT_THAT(slurp(dir_ / "out" / "pi_break_even.svg"), Not(HasSubstr("SMT beyond here")));
}

TEST_F(plot_files, NoSmtBoundaryWhenEveryWorkerHasAPhysicalCore) {
  report_spec spec;
  spec.workers = {1, 2, 4};
  spec.cpus = 8;
  spec.machine_extra = topology_json(4, 2);
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  for (const char* plot : {"pi_speedup", "pi_efficiency", "pi_throughput", "overhead"}) {
    const std::string svg = slurp(dir_ / "out" / (std::string(plot) + ".svg"));
    EXPECT_THAT(svg, HasSubstr(">1 package, 4 cores x 2 threads, L3 32 MiB; 8 of 8 CPUs allowed<")) << plot;
    EXPECT_THAT(svg, Not(HasSubstr("SMT"))) << plot;
  }
}

// Without SMT threads, W past the cores is oversubscription (shaded as such), not SMT.
TEST_F(plot_files, WithoutSmtThreadsWPastTheCoresIsOversubscribedNotSmt) {
  report_spec spec;
  spec.workers = {1, 2, 4};
  spec.machine_extra = topology_json(2, 1);
  spec.suite_extra = R"(,"pin":"none")";
  write_report(dir_ / "report", spec);
  run_plot(dir_ / "report", dir_ / "out");
  const std::string svg = slurp(dir_ / "out" / "pi_speedup.svg");
  EXPECT_THAT(svg, HasSubstr(">1 package, 2 cores x 1 thread, L3 32 MiB; 2 of 2 CPUs allowed; pinning: none<"));
  EXPECT_THAT(svg, HasSubstr(">oversubscribed (W &gt; 2 cores)</text>"));
  EXPECT_THAT(svg, Not(HasSubstr("SMT")));
}

// A report of `parbench run --pin compact` on a synthetic machine of one core with two hardware
// threads (PARBENCH_TOPOLOGY): tests/data.
TEST_F(plot_files, SchemaFiveReportPlotsWithTopologyAndSmtBoundary) {
  const fs::path report = fs::path(PARBENCH_SOURCE_DIR) / "tests" / "data" / "schema5_report";
  make_plots(report, dir_ / "out");
  expect_valid_plots(dir_ / "out", {"pi"});
  for (const char* plot : {"speedup", "efficiency", "throughput", "overhead"}) {
    const std::string svg = slurp(dir_ / "out" / (std::string(plot) + ".svg"));
    EXPECT_THAT(svg, HasSubstr(">1 package, 1 core x 2 threads, L3 32 MiB; 2 of 2 CPUs allowed; pinning: compact<"))
        << plot;
    EXPECT_THAT(svg, HasSubstr(">W &gt; 1 share physical cores (SMT)</text>")) << plot;
    const auto ticks = x_ticks(svg);
    ASSERT_EQ(ticks.size(), 2U) << plot;
    EXPECT_NEAR(text_x(svg, " SMT beyond here"), ticks[0].second, 0.01) << plot;
  }
}

}  // namespace
}  // namespace parbench::reports
