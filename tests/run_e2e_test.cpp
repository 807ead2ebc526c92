// The real binary on tiny sizes: complete reports, and output-path errors before measuring.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "bench/records.hpp"
#include "reports/report_reader.hpp"
#include "tests/cli_helpers.hpp"

namespace fs = std::filesystem;
using parbench::test::run_parbench;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "parbench-e2e-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (const auto& e : fs::recursive_directory_iterator(path_, ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Backends the binary can run here, from `parbench list` (unavailable ones are marked there
// and skipped by `run` with a note), with the kernels they are limited to.
std::set<std::string> usable_backends(const std::string& kernel = "pi") {
  const auto r = run_parbench("list");
  std::set<std::string> out;
  std::istringstream lines(r.output);
  std::string line, last;
  bool in_backends = false;
  while (std::getline(lines, line)) {
    if (line.rfind("backends in this build", 0) == 0) in_backends = true;
    if (line.rfind("kernels in this build", 0) == 0) in_backends = false;
    if (!in_backends) continue;
    // "    kernels: pi only" under a backend limits it.
    if (const auto k = line.find("  kernels: "); k != std::string::npos && line.rfind("    ", 0) == 0) {
      if (line.find(" " + kernel + " ") == std::string::npos && line.find(" " + kernel + ",") == std::string::npos)
        out.erase(last);
      continue;
    }
    if (line.rfind("  ", 0) != 0 || line.rfind("   ", 0) == 0 || line.find("[unavailable") != std::string::npos)
      continue;
    std::istringstream words(line);
    std::string name;
    words >> name;
    out.insert(name);
    last = name;
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(run_e2e, tiny_suite_writes_a_complete_report) {
  temp_dir tmp;
  const fs::path out = tmp.path() / "report";
  const auto r = run_parbench(
      "run --backend all --workers 1,2 --samples 100003 --break-even-sizes 65536 "
      "--repetitions 2 --seed 9 --json --out " +
      out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("break-even size"));
  EXPECT_THAT(r.output, HasSubstr("start-up cost"));

  const auto rows = parbench::reports::read_results((out / "results.csv").string());
  const auto backends = usable_backends();
  ASSERT_TRUE(backends.count("serial") && backends.count("threads")) << "could not read `parbench list`";
  std::set<std::tuple<std::string, unsigned, std::uint64_t>> aggregates;
  std::size_t raw = 0;
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "ok") << row.backend << " W=" << row.workers << ": " << row.error;
    EXPECT_EQ(row.seed, 9u);
    EXPECT_EQ(row.schema_version, parbench::bench::schema_version);
    EXPECT_EQ(row.kernel, "pi") << "--samples without --kernel runs pi only";
    EXPECT_EQ(row.params, "rng=philox");
    EXPECT_EQ(row.unit, "samples");
    EXPECT_FALSE(row.schedule.empty()) << row.backend << ": each backend's default schedule, by name";
    if (row.row_type == "raw") {
      ++raw;
      continue;
    }
    aggregates.insert({row.backend, row.workers, row.size});
    EXPECT_EQ(row.repetitions, 2u);
    ASSERT_TRUE(row.speedup.has_value()) << row.backend;
    EXPECT_GT(*row.speedup, 0.0);
  }
  // Serial once (W = 1); every other usable backend at every W and size.
  for (const auto& b : backends) {
    for (const unsigned w : {1u, 2u}) {
      if (b == "serial" && w != 1) continue;
      for (const std::uint64_t n : {65536u, 100003u})
        EXPECT_TRUE(aggregates.count({b, w, n})) << "missing aggregate " << b << " W=" << w << " n=" << n;
    }
  }
  EXPECT_EQ(raw, 2 * aggregates.size());
  // Every run has the serial result.
  std::map<std::uint64_t, std::string> results;
  for (const auto& row : rows) {
    if (row.result.empty()) continue;
    const auto [it, inserted] = results.emplace(row.size, row.result);
    EXPECT_EQ(it->second, row.result) << row.backend << " W=" << row.workers;
  }
  EXPECT_EQ(results.size(), 2u);

  const auto overhead = parbench::reports::read_overhead((out / "overhead.csv").string());
  EXPECT_EQ(overhead.size(), 1 + 2 * (backends.size() - 1));
  const auto be = parbench::reports::read_break_even((out / "break_even.csv").string());
  EXPECT_EQ(be.size(), backends.size() - 1) << "W = 2 only: break-even is defined for W >= 2";
  for (const auto& b : be) EXPECT_EQ(b.workers, 2u);

  const auto meta = nlohmann::json::parse(slurp(out / "metadata.json"));
  EXPECT_EQ(meta.at("schema_version"), parbench::bench::schema_version);
  EXPECT_EQ(meta.at("kernels").size(), 1u);
  EXPECT_EQ(meta.at("kernels").at(0).at("name"), "pi");
  EXPECT_EQ(meta.at("seed"), 9);
  EXPECT_THAT(meta.at("command_line").get<std::string>(), HasSubstr("--repetitions 2"));
  EXPECT_GT(meta.at("machine").at("logical_cpus").get<int>(), 0);
  EXPECT_FALSE(meta.at("machine").at("cpu_model").get<std::string>().empty());
  EXPECT_EQ(meta.at("machine").at("load_average_start").size(), 3u);
  EXPECT_EQ(meta.at("libraries").at("google_benchmark"), "1.7.1");
  EXPECT_FALSE(meta.at("libraries").at("fmt").get<std::string>().empty());
  EXPECT_FALSE(meta.at("build").at("type").get<std::string>().empty());
  EXPECT_EQ(meta.at("suite").at("repetitions"), 2);
  EXPECT_EQ(meta.at("suite").at("backends"), nlohmann::json::array({"all"}));
  for (const auto& b : backends) {
    const auto& style = meta.at("backend_styles").at(b);
    EXPECT_EQ(style.at("colour").get<std::string>().size(), 7u) << b;
    EXPECT_FALSE(style.at("marker").get<std::string>().empty()) << b;
  }
  EXPECT_EQ(meta.at("backend_styles").at("threads"), nlohmann::json({{"colour", "#1f77b4"}, {"marker", "s"}}));
  EXPECT_EQ(meta.at("timer").at("clock"), "std::chrono::steady_clock");
  EXPECT_GT(meta.at("timer").at("resolution_ns").get<double>(), 0.0);
  EXPECT_EQ(meta.at("measurement").at("repetitions"), 2);
  EXPECT_FALSE(meta.at("measurement").at("warmup").get<std::string>().empty());
  EXPECT_FALSE(meta.at("measurement").at("order").get<std::string>().empty());
  EXPECT_EQ(meta.at("measurement").at("min_time_s"), 0.0);
  EXPECT_EQ(meta.at("measurement").at("timeout_s"), 60.0);
  ASSERT_TRUE(meta.at("warnings").is_array());
  for (const auto& w : meta.at("warnings")) EXPECT_THAT(r.output, HasSubstr(w.get<std::string>()));

  const std::string md = slurp(out / "summary.md");
  EXPECT_EQ(md.rfind("# parbench ", 0), 0u) << md;
  EXPECT_THAT(md, HasSubstr("| backend | schedule | W | time |"));
  EXPECT_THAT(md, HasSubstr("### break-even size"));
  EXPECT_THAT(md, HasSubstr("### start-up cost"));
  EXPECT_THAT(r.output, HasSubstr("metadata.json, summary.md, benchmark.json)"));

  const auto gb = nlohmann::json::parse(slurp(out / "benchmark.json"));
  EXPECT_FALSE(gb.at("benchmarks").empty());

  for (const auto& e : fs::directory_iterator(out))
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(".tmp"))) << "temporary file left behind";
}

// --json is for the tools that read Google Benchmark's JSON: its own compare.py (Debian's
// libbenchmark-tools, a real client) matches two runs with different --repetitions and prints
// non-zero times, and cpu_time counts the workers' CPU (the cpu_s counter), not the main thread's.
TEST(run_e2e, benchmark_json_is_read_by_google_benchmarks_compare_py) {
  temp_dir tmp;
  for (const char* reps : {"2", "3"}) {
    const auto r = run_parbench(std::string("run -b serial,threads,fork -w 1,2 -n 1e6 --no-overhead --no-break-even ") +
                                "--quiet --json -r " + reps + " --out " + (tmp.path() / reps).string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto gb = nlohmann::json::parse(slurp(tmp.path() / "2" / "benchmark.json"));
  EXPECT_EQ(nlohmann::json::parse(slurp(tmp.path() / "2" / "metadata.json")).at("suite").at("backends"),
            nlohmann::json::array({"serial", "threads", "fork"}))
      << "--backend's list as names, not one string";
  int fork_rows = 0;
  for (const auto& b : gb.at("benchmarks")) {
    const std::string name = b.at("name");
    EXPECT_THAT(name, Not(HasSubstr("repeats:")));
    EXPECT_THAT(name, Not(HasSubstr("iterations:")));
    EXPECT_EQ(b.at("time_unit"), "us") << name;
    if (b.at("run_type") != "iteration") continue;
    EXPECT_NEAR(b.at("cpu_time").get<double>(), 1e6 * b.at("cpu_s").get<double>(), 1e-6) << name;
    if (name.find("/fork/") != std::string::npos) ++fork_rows;
  }
  EXPECT_EQ(fork_rows, 2 * 2);  // W = 1, 2 and two repetitions: the children's CPU is there
  const fs::path compare_py = "/usr/share/benchmark/compare.py";
  ASSERT_TRUE(fs::exists(compare_py)) << "install libbenchmark-tools (scripts/setup does)";
  const std::string cmd = "/usr/bin/python3 " + compare_py.string() + " --no-color benchmarks " +
                          (tmp.path() / "2" / "benchmark.json").string() + " " +
                          (tmp.path() / "3" / "benchmark.json").string() + " 2>&1";
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  ASSERT_EQ(::pclose(pipe), 0) << out;
  // A matched median row: name, two relative changes, then old and new time and CPU, non-zero.
  const std::regex row(R"(pi/fork/static/w:2/n:1000000/strong/real_time_median\s+[-+]\d\.\d+\s+[-+]\d\.\d+\s+)"
                       R"(([1-9]\d*)\s+([1-9]\d*)\s+([1-9]\d*)\s+([1-9]\d*))");
  EXPECT_TRUE(std::regex_search(out, row)) << out;
}

TEST(run_e2e, kernels_times_schedules_give_schema_2_rows_and_a_summary_per_kernel) {
  temp_dir tmp;
  const fs::path out = tmp.path() / "k";
  const auto r = run_parbench(
      "run --kernel pi,imbalanced --schedule static,dynamic --backend serial,threads "
      "--workers 1,2 --size 1e6 --repetitions 2 --no-overhead --no-break-even --quiet "
      "--out " +
      out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string header = slurp(out / "results.csv");
  header = header.substr(0, header.find_first_of("\r\n"));
  for (const char* column : {"kernel", "kernel_version", "params", "schedule", "workers_used", "size", "unit", "result",
                             "items", "items_per_s", "static_bound"})
    EXPECT_THAT("," + header + ",", HasSubstr(std::string(",") + column + ",")) << header;

  const auto rows = parbench::reports::read_results((out / "results.csv").string());
  // (kernel, backend, schedule, W) of the aggregates; results per (kernel, size) all equal.
  std::set<std::tuple<std::string, std::string, std::string, unsigned>> seen;
  std::map<std::string, std::string> result_of;
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "ok") << row.kernel << " " << row.backend << " " << row.schedule << ": " << row.error;
    EXPECT_EQ(row.size, 1000000u);
    EXPECT_EQ(row.unit, "samples");
    EXPECT_EQ(row.kernel_version, 1);
    ASSERT_TRUE(row.items.has_value());
    if (row.kernel == "pi") {
      EXPECT_EQ(row.params, "rng=philox");
      EXPECT_EQ(*row.items, 1000000u);
    } else {
      EXPECT_EQ(row.kernel, "imbalanced");
      EXPECT_THAT(row.params, HasSubstr("profile=ramp"));
    }
    const auto [it, inserted] = result_of.emplace(row.kernel, row.result);
    EXPECT_EQ(it->second, row.result) << row.kernel << " " << row.backend << " " << row.schedule;
    if (row.kernel == "imbalanced") {
      EXPECT_EQ(std::count(row.result.begin(), row.result.end(), ';'), 1) << row.result;
    }
    if (row.row_type == "raw") {
      ASSERT_TRUE(row.workers_used.has_value());
      EXPECT_GE(*row.workers_used, 1u);
      EXPECT_LE(*row.workers_used, row.workers);
      ASSERT_TRUE(row.items_per_s.has_value());
      EXPECT_GT(*row.items_per_s, 0.0);
      continue;
    }
    seen.insert({row.kernel, row.backend, row.schedule, row.workers});
    ASSERT_TRUE(row.speedup.has_value()) << row.kernel << " " << row.backend << " " << row.schedule;
    if (row.kind != "reference") {
      ASSERT_TRUE(row.static_bound.has_value()) << row.kernel << " " << row.backend;
      EXPECT_GE(*row.static_bound, 1.0);
      EXPECT_LE(*row.static_bound, row.workers + 1e-9);
    }
  }
  for (const char* kernel : {"pi", "imbalanced"}) {
    EXPECT_TRUE(seen.count({kernel, "serial", "static", 1u})) << kernel;
    for (const char* schedule : {"static", "dynamic"})
      for (const unsigned w : {1u, 2u})
        EXPECT_TRUE(seen.count({kernel, "threads", schedule, w})) << kernel << " threads " << schedule << " W=" << w;
  }
  EXPECT_EQ(seen.size(), 10u) << "serial runs its one schedule once per kernel";
  std::size_t raw = 0;
  for (const auto& row : rows) raw += row.row_type == "raw" ? 1 : 0;
  EXPECT_EQ(raw, 2 * seen.size()) << "two repetitions of each configuration";
  // The console summary has a section per kernel, pi first.
  const auto pi = r.output.find("\npi rng=philox: strong scaling");
  const auto imbalanced = r.output.find("\nimbalanced ");
  ASSERT_NE(pi, std::string::npos) << r.output;
  ASSERT_NE(imbalanced, std::string::npos) << r.output;
  EXPECT_LT(pi, imbalanced);
  EXPECT_THAT(r.output.substr(imbalanced), HasSubstr("static bound"));
  EXPECT_THAT(r.output.substr(imbalanced), HasSubstr("dynamic"));
  const auto meta = nlohmann::json::parse(slurp(out / "metadata.json"));
  ASSERT_EQ(meta.at("kernels").size(), 2u);
  EXPECT_EQ(meta.at("kernels").at(1).at("name"), "imbalanced");
  EXPECT_EQ(meta.at("kernels").at(1).at("version"), 1);
  EXPECT_TRUE(meta.contains("codec_version")) << meta.dump(2);
}

TEST(run_e2e, a_suite_file_names_kernels_with_settings_of_their_own) {
  temp_dir tmp;
  const fs::path suite = tmp.path() / "k.json";
  std::ofstream(suite) << R"({"name": "kernels", "backends": ["serial", "threads"], "workers": [1],
      "samples": [60000], "repetitions": 1, "overhead": false, "break_even_sizes": [4096],
      "kernels": ["pi", {"name": "imbalanced", "params": {"profile": "heavy"}, "samples": [40000],
                         "workers": [2], "schedules": ["all"], "break_even": false}]})";
  const auto list = run_parbench("run --list --suite " + suite.string());
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("pi/threads/static/w:1/n:60000/strong"));
  EXPECT_THAT(list.output, HasSubstr("pi/threads/static/w:1/n:4096/strong")) << "pi keeps the break-even sweep";
  EXPECT_THAT(list.output, HasSubstr("imbalanced/threads/static/w:2/n:40000/strong"));
  EXPECT_THAT(list.output, HasSubstr("imbalanced/threads/dynamic/w:2/n:40000/strong"));
  EXPECT_THAT(list.output, Not(HasSubstr("imbalanced/threads/static/w:1/")));
  EXPECT_THAT(list.output, Not(HasSubstr("imbalanced/threads/static/w:2/n:4096")));
  EXPECT_THAT(list.output, HasSubstr("profile=heavy"));
  const fs::path out = tmp.path() / "r";
  const auto r = run_parbench("run --quiet --suite " + suite.string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = parbench::reports::read_results((out / "results.csv").string());
  std::size_t imbalanced = 0;
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "ok") << row.error;
    if (row.kernel != "imbalanced") continue;
    ++imbalanced;
    EXPECT_THAT(row.params, HasSubstr("profile=heavy"));
    EXPECT_EQ(row.size, 40000u);
  }
  EXPECT_EQ(imbalanced, 2u * 3u) << "serial + threads static and dynamic, raw and aggregate";
  for (const auto& be : parbench::reports::read_break_even((out / "break_even.csv").string()))
    EXPECT_EQ(be.kernel, "pi") << "break_even: false for imbalanced";
  // Unknown keys in a kernels entry are errors with the place.
  std::ofstream(suite, std::ios::trunc) << "{\"kernels\": [\n  {\"name\": \"pi\", \"size\": 1}]}";
  const auto bad = run_parbench("run --list --suite " + suite.string());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr(":2:18: unknown key 'size' in a kernels entry"));
}

TEST(run_e2e, schedules_kernels_and_params_are_validated_before_anything_runs) {
  const auto kernel_bogus = run_parbench("pi --kernel imbalanced --schedule bogus");
  EXPECT_EQ(kernel_bogus.exit_code, 2) << kernel_bogus.output;
  EXPECT_THAT(kernel_bogus.output, HasSubstr("'bogus'"));
  const auto threads_bogus = run_parbench("pi -b threads --schedule bogus");
  EXPECT_EQ(threads_bogus.exit_code, 2) << threads_bogus.output;
  EXPECT_THAT(threads_bogus.output, HasSubstr("threads: unknown schedule 'bogus'; choose static, dynamic"));
  EXPECT_EQ(run_parbench("pi -b threads --schedule static:4").exit_code, 2) << "static takes no grain";
  EXPECT_EQ(run_parbench("once -b serial --kernel nosuch").exit_code, 2);
  const auto param = run_parbench("pi -b serial --param nosuch=1");
  EXPECT_EQ(param.exit_code, 2) << param.output;
  EXPECT_THAT(param.output, HasSubstr("'nosuch'"));
  EXPECT_EQ(run_parbench("pi -b serial --kernel imbalanced --param profile=flat").exit_code, 2);
  EXPECT_EQ(run_parbench("run --list --param nosuch=1").exit_code, 2);
  EXPECT_EQ(run_parbench("run --list --kernel pi,nosuch").exit_code, 2);
  const auto none = run_parbench("run --list --backend serial,threads --schedule guided");
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_THAT(none.output, HasSubstr("'guided'"));
  // Offered by one backend of the run: left out for the others, shown in --list.
  const auto some = run_parbench(
      "run --list --backend serial,threads,tbb --schedule dynamic --workers 2 -n 1e5 "
      "--no-break-even");
  if (usable_backends().count("tbb")) {
    ASSERT_EQ(some.exit_code, 0) << some.output;
    EXPECT_THAT(some.output, HasSubstr("left out: pi on tbb: schedule dynamic not offered"));
    EXPECT_THAT(some.output, HasSubstr("pi/threads/dynamic/w:2/n:100000/strong"));
  }
}

TEST(run_e2e, once_runs_any_kernel_and_list_shows_kernels_with_params) {
  const auto r = run_parbench(
      "once --kernel imbalanced --size 40000 --backend serial,threads --workers 2 "
      "--schedule dynamic:2 --param profile=heavy");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex("serial +skipped: serial: unknown schedule 'dynamic:2'"))
      << "in a list, a backend without the schedule is skipped with a note";
  EXPECT_EQ(run_parbench("once --kernel imbalanced --size 40000 --backend serial --schedule dynamic:2").exit_code, 2)
      << "alone, it is a usage error";
  const auto ok = run_parbench(
      "once --kernel imbalanced --size 40000 --backend threads --workers 2 "
      "--schedule dynamic:2 --param profile=heavy --rng light");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("profile=heavy"));
  EXPECT_THAT(ok.output, HasSubstr("rng=light"));
  EXPECT_THAT(ok.output, HasSubstr("dynamic:2"));
  const auto all = run_parbench("pi --kernel imbalanced --size 40000 --workers 2");
  ASSERT_EQ(all.exit_code, 0) << all.output;
  // The kernel line first, then the table's header.
  EXPECT_EQ(all.output.rfind("imbalanced (version 1): ", 0), 0u) << all.output;
  EXPECT_THAT(all.output,
              ::testing::ContainsRegex("\nbackend +schedule +workers +size +result +estimate +wall_s +samples/s\n"));
  EXPECT_THAT(all.output, HasSubstr("all backends agree"));
  const auto list = run_parbench("list");
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.output, HasSubstr("kernels in this build"));
  EXPECT_THAT(list.output, HasSubstr("imbalanced"));
  EXPECT_THAT(list.output, HasSubstr("--param profile=ramp|heavy|random (default ramp)"));
  EXPECT_THAT(list.output, HasSubstr("--param max_weight=<integer"));
  EXPECT_THAT(list.output, HasSubstr("schedules: static, dynamic[:N]"));
  const auto help = run_parbench("pi --help");
  EXPECT_THAT(help.output, HasSubstr("pi, imbalanced"));
}

TEST(run_e2e, list_shows_the_plan_and_runs_nothing) {
  temp_dir tmp;
  const auto r = run_parbench("run --list --backend threads --workers 2 --samples 1e6 --no-break-even --out " +
                              (tmp.path() / "x").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pi/serial/static/w:1/n:1000000/strong"));
  EXPECT_THAT(r.output, HasSubstr("pi/threads/static/w:2/n:1000000/strong"));
  EXPECT_FALSE(fs::exists(tmp.path() / "x"));
}

TEST(run_e2e, output_path_that_is_a_file_fails_before_measuring) {
  temp_dir tmp;
  const fs::path file = tmp.path() / "taken";
  std::ofstream(file) << "x";
  const auto r = run_parbench("run --backend serial --workers 1 --samples 1e6 --out " + file.string());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is not a folder"));
  EXPECT_THAT(r.output, Not(HasSubstr("timed runs"))) << "measured before checking the output";
}

TEST(run_e2e, a_directory_in_place_of_a_report_file_fails_before_measuring) {
  temp_dir tmp;
  fs::create_directories(tmp.path() / "r" / "results.csv");
  const auto r = run_parbench("run --backend serial --workers 1 --samples 1e6 --out " + (tmp.path() / "r").string());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("a folder of that name is in the way"));
  EXPECT_THAT(r.output, Not(HasSubstr("timed runs")));
}

TEST(run_e2e, read_only_folder_fails_before_measuring) {
  // /proc refuses new entries even for root; a 0555 folder does so for other users.
  auto r = run_parbench("run --backend serial --workers 1 --samples 1e6 --out /proc/parbench-report");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot create output folder"));
  EXPECT_THAT(r.output, Not(HasSubstr("timed runs")));
  if (::geteuid() != 0) {
    temp_dir tmp;
    const fs::path ro = tmp.path() / "ro";
    fs::create_directories(ro);
    ::chmod(ro.c_str(), 0555);
    r = run_parbench("run --backend serial --workers 1 --samples 1e6 --out " + ro.string());
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_THAT(r.output, HasSubstr("cannot create a file"));
  }
}

TEST(run_e2e, bad_requests_are_usage_errors) {
  EXPECT_EQ(run_parbench("run --repetitions 0 --list").exit_code, 2);
  EXPECT_EQ(run_parbench("run --scaling medium --list").exit_code, 2);
  EXPECT_EQ(run_parbench("run --backend nosuch --list").exit_code, 2);
  const auto r = run_parbench("run --suite /nonexistent/suite.json --list");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/suite.json"));
}

TEST(run_e2e, suite_file_is_used_and_flags_override_it) {
  temp_dir tmp;
  const fs::path suite = tmp.path() / "s.json";
  std::ofstream(suite) << R"({"name": "tiny", "backends": ["serial", "threads"], "workers": [1, 2],
                             "samples": [70000], "repetitions": 2, "break_even": false})";
  const auto r = run_parbench("run --list --suite " + suite.string() + " --workers 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("suite 'tiny'"));
  EXPECT_THAT(r.output, HasSubstr("pi/threads/static/w:3/n:70000/strong"));
  EXPECT_THAT(r.output, Not(HasSubstr("pi/threads/static/w:2/")));
  std::ofstream(suite, std::ios::trunc) << "{\"samples\": [1e6],\n \"oops\": 1}";
  const auto bad = run_parbench("run --list --suite " + suite.string());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr(":2:2: unknown key 'oops'"));
}

TEST(run_e2e, weak_scaling_multiplies_samples_by_workers) {
  temp_dir tmp;
  const fs::path out = tmp.path() / "weak";
  const auto r = run_parbench(
      "run --backend threads --workers 1,2 --samples 70000 --scaling weak --repetitions 1 "
      "--no-overhead --no-break-even --quiet --out " +
      out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = parbench::reports::read_results((out / "results.csv").string());
  bool saw = false;
  for (const auto& row : rows) {
    EXPECT_EQ(row.scaling, "weak");
    if (row.backend == "threads" && row.workers == 2) {
      EXPECT_EQ(row.size, 140000u);
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
}

TEST(overhead_e2e, measures_each_backend_at_each_w) {
  temp_dir tmp;
  const auto r = run_parbench("overhead --backend threads --workers 1,2 --repetitions 3 --quiet --out " +
                              (tmp.path() / "o").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("std::thread"));
  const auto rows = parbench::reports::read_overhead((tmp.path() / "o" / "overhead.csv").string());
  ASSERT_EQ(rows.size(), 3u);  // serial (function call) + threads at W = 1, 2
  for (const auto& row : rows) EXPECT_EQ(row.outer_reps, 3u);
}

TEST(overhead_e2e, parent_memory_is_resident_while_fork_is_measured) {
  temp_dir tmp;
  const auto r =
      run_parbench("overhead --backend fork --workers 1 --repetitions 2 --quiet --parent-memory 64MiB --out " +
                   (tmp.path() / "o").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = parbench::reports::read_overhead((tmp.path() / "o" / "overhead.csv").string());
  bool saw_fork = false;
  for (const auto& row : rows) {
    if (row.backend != "fork") continue;
    saw_fork = true;
    EXPECT_GE(row.parent_rss_bytes, std::uint64_t{64} << 20);
  }
  EXPECT_TRUE(saw_fork);
  const auto meta = nlohmann::json::parse(slurp(tmp.path() / "o" / "metadata.json"));
  EXPECT_EQ(meta["suite"]["parent_memory_bytes"].get<std::uint64_t>(), std::uint64_t{64} << 20);
  EXPECT_EQ(run_parbench("overhead --parent-memory 12XB").exit_code, 2);
}

// Every flag `run --help` and `overhead --help` show is documented in docs/cli.md.
TEST(cli_docs, every_run_and_overhead_flag_is_documented) {
  const std::string docs = slurp(fs::path(PARBENCH_SOURCE_DIR) / "docs" / "cli.md");
  ASSERT_FALSE(docs.empty());
  for (const char* command : {"run --help", "overhead --help"}) {
    const auto r = run_parbench(command);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::regex flag("--[a-z][a-z-]*");
    std::size_t seen = 0;
    for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), flag); it != std::sregex_iterator(); ++it) {
      const std::string f = it->str();
      if (f == "--help") continue;
      ++seen;
      EXPECT_THAT(docs, HasSubstr(f + "`")) << command << ": " << f << " is not documented in docs/cli.md";
    }
    EXPECT_GT(seen, 3u) << r.output;
  }
}

}  // namespace
