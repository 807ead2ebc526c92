// The tutorial's Python as a reference peer (peers/python/mp_pi.py): its estimate is checked
// statistically (its random stream is not ours, so its hits cannot equal ours), its output
// is machine-readable, and it fails with parbench's exit codes; `parbench run --peer`
// (bench/peer.hpp) runs it under the suite's protocol and puts its rows into the report.

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>

#include <csignal>

#include <unistd.h>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/peer.hpp"
#include "core/errors.hpp"
#include "kernels/montecarlo/sampler.hpp"
#include "reports/report_reader.hpp"
#include "tests/cli_helpers.hpp"

namespace {

const std::string script = std::string(PARBENCH_SOURCE_DIR) + "/peers/python/mp_pi.py";

struct result {
  int exit_code = -1;
  std::string out;  ///< stdout only
  std::string err;
};

result shell(const std::string& command) {
  // One file per process: ctest runs the tests of this file in parallel processes.
  const std::string err_file = testing::TempDir() + "peer_test_stderr." + std::to_string(::getpid()) + ".txt";
  result r;
  FILE* pipe = ::popen((command + " 2>" + err_file).c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* f = std::fopen(err_file.c_str(), "r")) {
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) r.err.append(buf.data(), n);
    std::fclose(f);
  }
  std::remove(err_file.c_str());
  return r;
}

// As for the plots: $PYTHON, then /usr/bin/python3, then python3 on PATH; the first that has numpy.
const std::string& python() {
  static const std::string found = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("PYTHON"); env != nullptr && *env != '\0') candidates.emplace_back(env);
    candidates.emplace_back("/usr/bin/python3");
    candidates.emplace_back("python3");
    for (const auto& p : candidates)
      if (shell("'" + p + "' -c 'import numpy'").exit_code == 0) return p;
    return std::string();
  }();
  return found;
}

result mp_pi(const std::string& args, const std::string& env = "") {
  EXPECT_FALSE(python().empty()) << "no Python with numpy ($PYTHON, /usr/bin/python3, python3): "
                                    "install python3-numpy (scripts/setup does)";
  return shell(env + " '" + python() + "' '" + script + "' " + args);
}

std::vector<nlohmann::json> records(const std::string& out) {
  std::vector<nlohmann::json> list;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) list.push_back(nlohmann::json::parse(line));
  return list;
}

// |estimate - pi| in units of sigma = 4 sqrt(p(1-p)/n), p = pi/4.
double sigmas_from_pi(const nlohmann::json& r) {
  const double n = r.at("samples").get<double>();
  const double p = M_PI / 4;
  const double estimate = 4 * r.at("hits").get<double>() / n;
  EXPECT_DOUBLE_EQ(r.at("estimate").get<double>(), estimate);
  return std::abs(estimate - M_PI) / (4 * std::sqrt(p * (1 - p) / n));
}

TEST(peer, pure_fork_prints_one_checked_record_per_repetition) {
  const result r = mp_pi("--variant pure --start-method fork --workers 2 --samples 1e5 --seed 5 --repetitions 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto list = records(r.out);
  ASSERT_EQ(list.size(), 2u);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& rec = list[i];
    EXPECT_EQ(rec.at("repetition").get<int>(), static_cast<int>(i));
    EXPECT_EQ(rec.at("samples").get<std::uint64_t>(), 100000u);
    EXPECT_EQ(rec.at("workers").get<int>(), 2);
    EXPECT_EQ(rec.at("seed").get<int>(), 5);
    EXPECT_EQ(rec.at("start_method"), "fork");
    EXPECT_EQ(rec.at("variant"), "pure");
    EXPECT_GT(rec.at("wall_s").get<double>(), 0.0);
    EXPECT_GT(rec.at("cpu_s").get<double>(), 0.0) << "the workers' CPU time is counted";
    EXPECT_LE(sigmas_from_pi(rec), 6.0);
  }
  EXPECT_EQ(list[0].at("hits"), list[1].at("hits")) << "a seed gives the same blocks every repetition";
}

// Large enough that sigma is ~5e-4: a biased sampler (wrong range, wrong test) fails this.
TEST(peer, numpy_estimate_is_within_its_statistical_bound_at_1e7) {
  for (const char* seed : {"1", "2", "3"}) {
    const result r = mp_pi(std::string("--variant numpy --workers 2 --samples 1e7 --seed ") + seed);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto list = records(r.out);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_LE(sigmas_from_pi(list[0]), 6.0) << "seed " << seed;
    EXPECT_EQ(list[0].at("numpy").is_string(), true);
  }
}

TEST(peer, every_start_method_runs_both_variants) {
  for (const char* method : {"fork", "spawn", "forkserver"}) {
    for (const char* variant : {"pure", "numpy"}) {
      const result r =
          mp_pi(std::string("--workers 2 --samples 1e5 --start-method ") + method + " --variant " + variant);
      ASSERT_EQ(r.exit_code, 0) << method << " " << variant << ": " << r.err;
      const auto list = records(r.out);
      ASSERT_EQ(list.size(), 1u);
      EXPECT_EQ(list[0].at("start_method"), method);
      EXPECT_EQ(list[0].at("variant"), variant);
      EXPECT_LE(sigmas_from_pi(list[0]), 6.0) << method << " " << variant;
    }
  }
}

TEST(peer, bad_usage_exits_2_and_says_why) {
  for (const char* args : {"--workers 0", "--workers 1025", "--samples abc", "--samples 1.5", "--samples 0",
                           "--start-method vfork", "--variant fortran", "--seed -1", "--timeout 0", "--bogus"}) {
    const result r = mp_pi(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find("error:"), std::string::npos) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

TEST(peer, numpy_variant_without_numpy_exits_2) {
  const std::string hide_numpy = "import runpy, sys; sys.modules['numpy'] = None; sys.argv = ['" + script +
                                 "', '--variant', 'numpy']; runpy.run_path(sys.argv[0], run_name='__main__')";
  const result r = shell("'" + python() + "' -c \"" + hide_numpy + "\"");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs numpy"), std::string::npos) << r.err;
}

TEST(peer, worker_exception_exits_3) {
  const result r = mp_pi("--workers 2 --samples 1e4", "MP_PI_FAULT=raise");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("fault injected"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

// A dead worker makes multiprocessing.Pool wait forever; --timeout turns that into exit 3.
TEST(peer, dead_worker_exits_3_after_the_timeout) {
  for (const char* method : {"fork", "forkserver"}) {
    const auto start = std::chrono::steady_clock::now();
    const result r =
        mp_pi(std::string("--workers 2 --samples 1e4 --timeout 1 --start-method ") + method, "MP_PI_FAULT=exit");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 3) << method;
    EXPECT_NE(r.err.find("--timeout"), std::string::npos) << r.err;
    EXPECT_LT(seconds, 30.0) << method << ": the timeout did not fire";
  }
}

// --- the harness's side: bench/peer.hpp ---

TEST(peer_hook, parses_peer_lists) {
  using parbench::bench::parse_peer_list;
  const auto two = parse_peer_list("python");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].name, "python-pure-fork");
  EXPECT_EQ(two[1].name, "python-numpy-fork");
  EXPECT_EQ(two[1].variant, "numpy");
  EXPECT_EQ(two[1].start_method, "fork");
  EXPECT_EQ(parse_peer_list("python-all").size(), 6u);
  const auto mixed = parse_peer_list("python-numpy-spawn,python");
  ASSERT_EQ(mixed.size(), 3u);
  EXPECT_THROW(parse_peer_list("python,python-pure-fork"), parbench::usage_error) << "a peer named twice";
  EXPECT_EQ(mixed[0].start_method, "spawn");
  for (const char* bad : {"", "ruby", "python,", "python-pure-vfork", "python-fortran-fork", "Python"})
    EXPECT_THROW(parse_peer_list(bad), parbench::usage_error) << bad;
  try {
    parse_peer_list("ruby");
  } catch (const parbench::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("python-numpy-forkserver"), std::string::npos) << "lists the choices";
  }
}

parbench::bench::suite two_repetitions() {
  parbench::bench::suite s;
  s.repetitions = 2;
  s.seed = 9;
  s.rng = "philox";
  return s;
}

const parbench::bench::peer_spec pure_fork{"python-pure-fork", "pure", "fork"};

TEST(peer_hook, turns_output_lines_into_checked_rows) {
  const std::string out =
      R"({"repetition": 0, "wall_s": 0.5, "cpu_s": 0.9, "hits": 78540, "samples": 100000, "workers": 2})"
      "\n"
      R"({"repetition": 1, "wall_s": 0.25, "cpu_s": null, "hits": 78500, "samples": 100000, "workers": 2})"
      "\n";
  const auto rows = parbench::bench::detail::peer_rows(pure_fork, two_repetitions(), 2, 100000, out, 0, "");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.status, "ok") << r.error;
    EXPECT_EQ(r.kind, "peer");
    EXPECT_EQ(r.backend, "python-pure-fork");
    EXPECT_EQ(r.row_type, "raw");
    EXPECT_EQ(r.workers, 2u);
    EXPECT_EQ(r.size, 100000u);
    EXPECT_EQ(r.items, 100000u);
    EXPECT_EQ(r.unit, "samples");
    EXPECT_EQ(r.seed, 9u);
    EXPECT_EQ(r.kernel, "pi") << "peers run pi";
    EXPECT_EQ(r.params, "rng=philox") << "the protocol's rng, as the serial reference's pi parameters";
    EXPECT_EQ(r.schedule, "pool");
    EXPECT_TRUE(r.isa.empty()) << "the peer has no instruction-set path of ours";
  }
  EXPECT_EQ(*rows[0].repetition, 0u);
  EXPECT_EQ(*rows[1].repetition, 1u);
  EXPECT_EQ(rows[0].result, "78540");
  EXPECT_EQ(rows[1].result, "78500");
  EXPECT_DOUBLE_EQ(*rows[1].items_per_s, 400000.0);
  EXPECT_DOUBLE_EQ(*rows[1].items_per_s_per_worker, 200000.0);
  EXPECT_DOUBLE_EQ(*rows[0].cpu_s, 0.9);
  EXPECT_FALSE(rows[1].cpu_s.has_value()) << "null (forkserver) stays empty";
}

TEST(peer_hook, failed_checks_and_missing_repetitions_become_failed_rows) {
  using parbench::bench::detail::peer_rows;
  // 90000 of 100000 inside is ~80 sigma from pi.
  const std::string biased = R"({"wall_s": 0.5, "hits": 90000, "samples": 100000, "workers": 2})"
                             "\n";
  auto rows =
      peer_rows(pure_fork, two_repetitions(), 2, 100000, biased, 3,
                "mp_pi.py: error: estimate 3.6 is 80.0 sigma from pi (hits 90000 of 100000): the run is wrong\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "failed");
  EXPECT_NE(rows[0].error.find("self-check failed"), std::string::npos) << rows[0].error;
  EXPECT_FALSE(rows[0].wall_s.has_value()) << "a failed repetition has no time";
  EXPECT_EQ(rows[1].status, "failed");
  EXPECT_NE(rows[1].error.find("exit 3"), std::string::npos) << rows[1].error;
  EXPECT_EQ(rows[1].error.find("mp_pi.py: error:"), std::string::npos) << "prefix dropped: " << rows[1].error;

  rows = peer_rows(pure_fork, two_repetitions(), 2, 100000, "Traceback (most recent call last):\n", 1, "boom\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("not a result"), std::string::npos) << rows[0].error;
  EXPECT_NE(rows[1].error.find("boom"), std::string::npos) << rows[1].error;

  const std::string other_run = R"({"wall_s": 0.5, "hits": 785400, "samples": 1000000, "workers": 2})"
                                "\n";
  rows = peer_rows(pure_fork, two_repetitions(), 2, 100000, other_run, 0, "");
  EXPECT_NE(rows[0].error.find("different run"), std::string::npos) << rows[0].error;
  EXPECT_NE(rows[1].error.find("1 of 2"), std::string::npos) << rows[1].error;
}

// The peer's stderr and stdout are not parbench's text: a terminal escape or a CI workflow
// command in them is escaped before the reason is printed or recorded.
TEST(peer_hook, the_peers_text_is_made_safe_for_the_console) {
  using parbench::bench::detail::peer_rows;
  auto rows = peer_rows(pure_fork, two_repetitions(), 2, 100000, "", 1, "mp_pi.py: error: ::error::x\x1b[31mred\r\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].error.find('\x1b'), std::string::npos) << rows[0].error;
  EXPECT_NE(rows[0].error.find("\\x3a:error::x\\x1b[31mred"), std::string::npos) << rows[0].error;
  rows = peer_rows(pure_fork, two_repetitions(), 2, 100000, "\x1b]0;title\x07\n", 0, "");
  EXPECT_EQ(rows[0].error.find('\x1b'), std::string::npos) << rows[0].error;
  EXPECT_NE(rows[0].error.find("\\x1b]0;title\\x07"), std::string::npos) << rows[0].error;
}

// The real script through the harness's hook: W = 1 and 2, both variants, two repetitions.
TEST(peer_hook, runs_the_python_peer_under_the_suite_protocol) {
  auto s = two_repetitions();
  s.samples = {100000};
  s.timeout_s = 60;
  parbench::bench::progress quiet(true, false);
  const auto env = parbench::bench::find_peer_environment();
  const auto rows = parbench::bench::run_peers(parbench::bench::parse_peer_list("python"), env, s, {1, 2}, quiet);
  ASSERT_EQ(rows.size(), 2u * 2u * 2u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.status, "ok") << r.backend << " W=" << r.workers << ": " << r.error;
    ASSERT_FALSE(r.result.empty());
    EXPECT_EQ(r.result.find(';'), std::string::npos) << "pi has one result word: " << r.result;
    const auto check = parbench::kernels::check_estimate(std::stoull(r.result), r.size);
    EXPECT_TRUE(check.ok) << r.backend << ": " << check.estimate;
    EXPECT_GT(*r.wall_s, 0.0);
  }
}

TEST(peer_hook, run_peer_python_puts_peer_rows_into_the_report) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "peer_e2e_report";
  std::filesystem::remove_all(dir);
  const auto r = parbench::test::run_parbench(
      "run -q --peer python -b serial -w 1,2 -n 1e5 -r 2 --no-overhead "
      "--break-even-sizes 65536,131072 -o " +
      dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = parbench::reports::read_results((dir / "results.csv").string());
  std::set<std::string> raw_ok, aggregated, reference_params, peer_params;
  for (const auto& row : rows) {
    if (row.kind == "reference" && row.kernel == "pi") reference_params.insert(row.params);
    if (row.kind != "peer") continue;
    peer_params.insert(row.params);
    EXPECT_EQ(row.status, "ok") << row.backend << ": " << row.error;
    if (row.row_type == "raw") raw_ok.insert(row.backend + "/" + std::to_string(row.workers));
    if (row.row_type == "aggregate") {
      aggregated.insert(row.backend + "/" + std::to_string(row.workers));
      EXPECT_EQ(*row.repetitions, 2u);
      EXPECT_TRUE(row.speedup.has_value()) << "against parbench's serial reference at the same size";
      EXPECT_EQ(row.kernel, "pi");
      EXPECT_EQ(row.schedule, "pool");
    }
  }
  const std::set<std::string> expected = {"python-pure-fork/1", "python-pure-fork/2", "python-numpy-fork/1",
                                          "python-numpy-fork/2"};
  EXPECT_EQ(raw_ok, expected);
  EXPECT_EQ(aggregated, expected);
  EXPECT_EQ(peer_params, reference_params) << "the peer's rows carry serial pi's parameters";
  for (const auto& be : parbench::reports::read_break_even((dir / "break_even.csv").string()))
    EXPECT_EQ(be.backend.rfind("python", 0), std::string::npos) << "break-even sizes are for backends only";
  std::filesystem::remove_all(dir);
}

TEST(peer_hook, unknown_peer_is_a_usage_error_before_anything_runs) {
  const auto r = parbench::test::run_parbench("run -q --peer ruby -b serial -w 1 -n 1e5 -r 1 --no-overhead -o " +
                                              (std::filesystem::path(testing::TempDir()) / "peer_bad").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("python-pure-fork"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(testing::TempDir()) / "peer_bad" / "results.csv"));
}

}  // namespace
