// The tutorial's Python as a reference peer (peers/python/mp_pi.py): its estimate is checked
// statistically (its random stream is not ours, so its hits cannot equal ours), its output
// is machine-readable, and it fails with parbench's exit codes.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string script = std::string(PARBENCH_SOURCE_DIR) + "/peers/python/mp_pi.py";

struct result {
  int exit_code = -1;
  std::string out;  ///< stdout only
  std::string err;
};

result shell(const std::string& command) {
  const std::string err_file = testing::TempDir() + "peer_test_stderr.txt";
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
      const result r = mp_pi(std::string("--workers 2 --samples 1e5 --start-method ") + method + " --variant " + variant);
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
    const result r = mp_pi(std::string("--workers 2 --samples 1e4 --timeout 1 --start-method ") + method,
                           "MP_PI_FAULT=exit");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 3) << method;
    EXPECT_NE(r.err.find("--timeout"), std::string::npos) << r.err;
    EXPECT_LT(seconds, 30.0) << method << ": the timeout did not fire";
  }
}

}  // namespace
