// Plots: make_plots() and `parbench plot` on small reports write valid PNG and SVG files, and
// unusable reports give clear errors. Needs /usr/bin/python3 with matplotlib (scripts/setup).

#include "reports/plot.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "core/errors.hpp"
#include "tests/cli_helpers.hpp"

namespace parbench::reports {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const char* const plot_names[] = {"speedup", "efficiency", "throughput", "overhead", "break_even"};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small report in the agreed format: serial and threads at W = 1, 2, raw and aggregate rows.
void write_small_report(const fs::path& dir, bool drop_speedup_column = false) {
  fs::create_directories(dir);
  std::string header =
      "schema_version,kernel,kernel_version,rng,isa,backend,kind,scaling,workers,ranks,threads_per_rank,samples,"
      "seed,row_type,repetition,status,error,hits,wall_s,cpu_s,samples_per_s,samples_per_s_per_worker,repetitions,"
      "wall_s_mean,wall_s_stddev,wall_s_min,wall_s_max,wall_s_cv,speedup,speedup_min,speedup_max,efficiency,"
      "karp_flatt";
  std::string csv = header + "\n";
  auto add = [&](const std::string& backend, int w, const std::string& type, const std::string& rep, double wall,
                 const std::string& s, const std::string& smin, const std::string& smax, const std::string& e) {
    csv += "1,pi,1,philox,avx2," + backend + ",backend,strong," + std::to_string(w) + ",1,1,1000000,1," + type + "," +
           rep + ",ok,,785398," + std::to_string(wall) + ",," + std::to_string(1e6 / wall) + ",,,,,,,," + s + "," +
           smin + "," + smax + "," + e + ",\n";
  };
  for (int r = 0; r < 3; ++r) add("serial", 1, "raw", std::to_string(r), 0.010 + 0.0002 * r, "", "", "", "");
  add("serial", 1, "aggregate", "", 0.0102, "1", "0.98", "1.02", "1");
  for (int w : {1, 2}) {
    for (int r = 0; r < 3; ++r) add("threads", w, "raw", std::to_string(r), 0.0105 / w + 0.0001 * r, "", "", "", "");
    const double s = 0.0102 / (0.0106 / w);
    add("threads", w, "aggregate", "", 0.0106 / w, std::to_string(s), std::to_string(s * 0.97),
        std::to_string(s * 1.02), std::to_string(s / w));
  }
  if (drop_speedup_column) {
    // Remove the 29th column ("speedup") from every line.
    std::string out, line;
    std::istringstream in(csv);
    while (std::getline(in, line)) {
      std::size_t start = 0;
      for (int i = 0; i < 28; ++i) start = line.find(',', start) + 1;
      const std::size_t end = line.find(',', start);
      out += line.substr(0, start) + line.substr(end + 1) + "\n";
    }
    csv = out;
  }
  std::ofstream(dir / "results.csv") << csv;
  std::ofstream(dir / "overhead.csv")
      << "schema_version,mechanism,backend,workers,median_us,min_us,max_us,stddev_us,inner_reps,outer_reps,"
         "reference_us,parent_rss_bytes\n"
         "1,thread,threads,1,20,18,25,2,100,5,0.1,1000000\n1,thread,threads,2,35,30,41,3,100,5,0.1,1000000\n"
         "1,fork,fork,1,300,280,350,20,10,5,0.1,1000000\n1,fork,fork,2,560,500,640,40,10,5,0.1,1000000\n";
  std::ofstream(dir / "break_even.csv") << "schema_version,backend,rng,workers,break_even_samples,sizes_tried\n"
                                           "1,threads,philox,2,65536,4096;16384;65536\n"
                                           "1,fork,philox,2,,4096;16384;65536\n";
  std::ofstream(dir / "metadata.json")
      << R"({"schema_version":1,"parbench_version":"0.1.0","timestamp":"2026-11-26T02:00:00Z",)"
         R"("command_line":"parbench run","seed":1,"git_commit":"abc","machine":{"hostname":"h",)"
         R"("cpu_model":"AMD EPYC 9R14","logical_cpus":2},"build":{"type":"Release","compiler":"GNU 12.2.0",)"
         R"("flags":"-O3","isa":"avx2","native":false},"libraries":{}})";
}

void expect_valid_plots(const fs::path& out) {
  for (const char* name : plot_names) {
    const std::string png = slurp(out / (std::string(name) + ".png"));
    ASSERT_GT(png.size(), 1000u) << name;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
    const std::string svg = slurp(out / (std::string(name) + ".svg"));
    ASSERT_GT(svg.size(), 1000u) << name;
    EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0) << name;
    EXPECT_THAT(svg, HasSubstr("<svg")) << name;
    EXPECT_THAT(svg, HasSubstr("</svg>")) << name;
  }
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

TEST_F(plot_files, SmallReportGivesValidPngAndSvg) {
  write_small_report(dir_ / "report");
  make_plots(dir_ / "report", dir_ / "out");
  expect_valid_plots(dir_ / "out");
  // The title carries machine, build and date.
  EXPECT_THAT(slurp(dir_ / "out" / "speedup.svg"), HasSubstr("AMD EPYC 9R14"));
}

TEST_F(plot_files, CommandWritesIntoTheReportByDefault) {
  write_small_report(dir_ / "report");
  const auto r = test::run_parbench("plot '" + (dir_ / "report").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("plots written to"));
  expect_valid_plots(dir_ / "report" / "plots");
}

TEST_F(plot_files, RealReportFromParbenchRun) {
  const fs::path report = dir_ / "run";
  const auto run = test::run_parbench(
      "run --backend serial,threads --workers 1,2 --samples 1e5 --repetitions 3 "
      "--quiet --out '" +
      report.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  make_plots(report, report / "plots");
  expect_valid_plots(report / "plots");
  // The scaling plots use the suite's size, not the break-even sweep's sizes that share results.csv.
  EXPECT_THAT(slurp(report / "plots" / "speedup.svg"), HasSubstr("n = 1e+05 samples"));
}

TEST_F(plot_files, MissingColumnIsAClearError) {
  write_small_report(dir_ / "report", /*drop_speedup_column=*/true);
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

}  // namespace
}  // namespace parbench::reports
