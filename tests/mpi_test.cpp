// The mpi backend end to end: the real binary under mpiexec with 1, 2 and 3 ranks, every
// inner model's schedule inside the ranks, and the pi and imbalanced kernels.
// (The in-process contract, one rank, is covered with every backend in contract_test.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/mpi/step_reduction.hpp"
#include "core/affinity.hpp"
#include "core/kernel.hpp"
#include "kernels/registry.hpp"
#include "tests/proc_helpers.hpp"

using ::testing::HasSubstr;

namespace {

// Each rank's step result packed, every group reduced with its op as MPI_Allreduce would, and
// unpacked: the words are combine() of every rank's, and the count is of the ranks that failed.
TEST(mpi_step_reduction, groups_by_op_and_counts_failed_ranks) {
  const std::vector<parbench::result_word> layout = {{"a", parbench::combine_op::max},
                                                     {"b", parbench::combine_op::sum},
                                                     {"c", parbench::combine_op::min},
                                                     {"d", parbench::combine_op::sum}};
  const std::vector<std::vector<std::uint64_t>> ranks = {{7, 1, 9, 5}, {3, UINT64_MAX, 2, 6}, {8, 2, 4, 0}};
  const std::vector<bool> failed = {false, true, true};
  std::vector<parbench::mpi::step_reduction> mine;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    mine.emplace_back(layout);
    mine.back().pack(failed[r], ranks[r]);
  }
  ASSERT_EQ(mine[0].groups().size(), 3u);
  EXPECT_EQ(mine[0].groups()[0].op, parbench::combine_op::sum);  // first: it holds the failed count
  parbench::result_words expected = parbench::identity(layout);
  for (const auto& words : ranks) parbench::combine(layout, expected, words);
  for (std::size_t g = 0; g < mine[0].groups().size(); ++g) {
    auto& into = mine[0].groups()[g];
    for (std::size_t r = 1; r < ranks.size(); ++r) {
      const auto& from = mine[r].groups()[g].values;
      for (std::size_t i = 0; i < into.values.size(); ++i) {
        std::uint64_t& v = into.values[i];
        if (into.op == parbench::combine_op::sum) v += from[i];
        if (into.op == parbench::combine_op::min) v = std::min(v, from[i]);
        if (into.op == parbench::combine_op::max) v = std::max(v, from[i]);
      }
    }
  }
  std::vector<std::uint64_t> words(layout.size(), 0);
  EXPECT_EQ(mine[0].unpack(words), 2u);
  EXPECT_EQ(words, expected);  // b wraps modulo 2^64: 1 + 2^64 - 1 + 2 = 2
  // A layout of sums only is one group: one MPI_Allreduce per step.
  const std::vector<parbench::result_word> sums = {{"hits", parbench::combine_op::sum},
                                                   {"points", parbench::combine_op::sum}};
  parbench::mpi::step_reduction one(sums);
  ASSERT_EQ(one.groups().size(), 1u);
  one.pack(false, std::vector<std::uint64_t>{4, 5});
  EXPECT_EQ(one.groups()[0].values, (std::vector<std::uint64_t>{0, 4, 5}));
}

struct command_result {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
  double seconds = 0;
};

command_result run(const std::string& command) {
  command_result r;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// Open MPI wants --oversubscribe for more ranks than cores and binds each rank to one
// core unless told otherwise; MPICH's hydra needs neither flag.
const std::string& launcher_flags() {
  static const std::string flags =
      [] {
        const std::string version = run(std::string(PARBENCH_MPIEXEC) + " --version").output;
        return version.find("Open MPI") != std::string::npos || version.find("OpenRTE") != std::string::npos;
      }()
          ? " --oversubscribe --bind-to none --timeout 120"
          : "";
  return flags;
}

std::string mpiexec(int ranks) {
  return std::string(PARBENCH_MPIEXEC) + " -np " + std::to_string(ranks) + launcher_flags() + " ";
}

std::string parbench() { return std::string(PARBENCH_BINARY) + " "; }

// The serial result of a job: its words, as results.csv writes them ("hits;draws").
std::string serial_result(const char* kernel, std::uint64_t size, std::uint64_t seed,
                          const parbench::param_values& params = {}) {
  const auto job = parbench::make_job(kernel, size, seed, params);
  std::string out;
  for (const auto w : parbench::compute(*job, {0, job->chunk_count()})) {
    if (!out.empty()) out += ';';
    out += std::to_string(w);
  }
  return out;
}

std::uint64_t serial_hits(std::uint64_t samples, std::uint64_t seed) {
  return std::stoull(serial_result("pi", samples, seed));
}

struct mpi_row {
  bool found = false;
  unsigned workers = 0;
  std::uint64_t samples = 0, hits = 0;
};

// The `mpi` row of `parbench pi`'s table, by the header's column names (the size column is
// "samples" or "size", the result "hits" or "result").
mpi_row find_row(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  std::map<std::string, std::size_t> column;
  mpi_row row;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> cells;
    for (std::string cell; fields >> cell;) cells.push_back(cell);
    if (cells.empty()) continue;
    if (cells[0] == "backend") {
      for (std::size_t i = 0; i < cells.size(); ++i) column[cells[i]] = i;
      continue;
    }
    if (cells[0] != "mpi" || column.empty()) continue;
    const auto at = [&](std::initializer_list<const char*> names) -> std::string {
      for (const char* n : names)
        if (const auto it = column.find(n); it != column.end() && it->second < cells.size()) return cells[it->second];
      return {};
    };
    const std::string workers = at({"workers"}), size = at({"samples", "size"}), result = at({"hits", "result"});
    if (workers.empty() || size.empty() || result.empty()) continue;
    row.workers = static_cast<unsigned>(std::stoul(workers));
    row.samples = std::stoull(size);
    row.hits = std::stoull(result);
    row.found = true;
  }
  return row;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct hybrid_case {
  int ranks;
  const char* inner;
  unsigned workers;
  std::uint64_t samples;
  std::uint64_t seed;
  const char* schedule = "";  ///< the inner model's schedule; empty = its default
};

void PrintTo(const hybrid_case& c, std::ostream* os) {
  *os << c.ranks << " ranks x " << c.workers << " " << c.inner << " " << c.schedule << ", n=" << c.samples
      << ", seed=" << c.seed;
}

class mpi_ranks : public ::testing::TestWithParam<hybrid_case> {};

// R ranks x W inner workers return exactly the serial hit count, and only rank 0 prints.
TEST_P(mpi_ranks, match_serial_and_print_once) {
  const auto& c = GetParam();
  const std::string schedule = *c.schedule != '\0' ? std::string(" --schedule ") + c.schedule : "";
  const auto r = run(mpiexec(c.ranks) + parbench() + "pi --backend mpi --inner " + c.inner + " --workers " +
                     std::to_string(c.workers) + " --samples " + std::to_string(c.samples) + " --seed " +
                     std::to_string(c.seed) + schedule);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const mpi_row row = find_row(r.output);
  ASSERT_TRUE(row.found) << r.output;
  EXPECT_EQ(row.hits, serial_hits(c.samples, c.seed)) << r.output;
  EXPECT_EQ(row.samples, c.samples);
  EXPECT_EQ(row.workers, static_cast<unsigned>(c.ranks) * c.workers) << "R x W workers";
  EXPECT_EQ(count(r.output, "backend "), 1u) << "one table, from rank 0 only:\n" << r.output;
}

// 8 chunks over 3 ranks is uneven (3, 3, 2); 1000 samples is one chunk, so two ranks idle.
INSTANTIATE_TEST_SUITE_P(ranks, mpi_ranks,
                         ::testing::Values(hybrid_case{1, "threads", 1, 7 * 65536 + 3, 11},
                                           hybrid_case{2, "threads", 2, 7 * 65536 + 3, 12},
                                           hybrid_case{2, "threads", 3, 9 * 65536 + 3, 16, "dynamic"},
                                           hybrid_case{2, "tbb", 2, 1000003, 13},
                                           hybrid_case{3, "openmp", 1, 7 * 65536 + 3, 14},
                                           hybrid_case{2, "openmp", 2, 9 * 65536 + 1, 17, "guided:2"},
                                           hybrid_case{3, "serial", 1, 1000, 15}),
                         [](const ::testing::TestParamInfo<hybrid_case>& param_info) {
                           const auto& c = param_info.param;
                           std::string schedule = c.schedule;
                           for (char& ch : schedule)
                             if (ch == ':') ch = '_';
                           return "np" + std::to_string(c.ranks) + "_" + c.inner + "_x" + std::to_string(c.workers) +
                                  "_n" + std::to_string(c.samples) + (schedule.empty() ? "" : "_" + schedule);
                         });

TEST(mpi, runs_as_one_rank_without_a_launcher) {
  const auto r = run(parbench() + "pi --backend mpi --inner threads --workers 3 --samples 1000003 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const mpi_row row = find_row(r.output);
  EXPECT_EQ(row.hits, serial_hits(1000003, 5)) << r.output;
  EXPECT_EQ(row.workers, 3u);
}

// Bad arguments end the whole job with exit code 2, promptly, on every rank.
TEST(mpi, rejects_bad_arguments_without_hanging) {
  const auto inner = run(mpiexec(2) + parbench() + "pi --backend mpi --inner fork --samples 1000");
  EXPECT_EQ(inner.exit_code, 2) << inner.output;
  EXPECT_THAT(inner.output, HasSubstr("--inner 'fork' cannot run inside a rank"));
  EXPECT_LT(inner.seconds, 60.0);

  const auto samples = run(mpiexec(2) + parbench() + "pi --backend mpi --samples 0");
  EXPECT_EQ(samples.exit_code, 2) << samples.output;
  EXPECT_THAT(samples.output, HasSubstr("must be at least 1"));

  // A schedule the inner model does not offer is rejected before any rank works.
  const auto schedule =
      run(mpiexec(2) + parbench() + "pi --backend mpi --inner openmp --schedule bogus --samples 1000");
  EXPECT_EQ(schedule.exit_code, 2) << schedule.output;
  EXPECT_THAT(schedule.output, HasSubstr("unknown schedule 'bogus'"));
  EXPECT_LT(schedule.seconds, 60.0);
}

// Only rank 0's command line counts: rank 1, started here with a bad sample count and
// another seed, serves rank 0's run, which returns rank 0's serial answer.
TEST(mpi, other_ranks_follow_rank_0s_command_line) {
  const auto r = run(mpiexec(1) + parbench() + "pi --backend mpi --samples 200000 --seed 1 : -np 1 " + parbench() +
                     "pi --backend mpi --samples 0 --seed 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const mpi_row row = find_row(r.output);
  EXPECT_EQ(row.hits, serial_hits(200000, 1)) << r.output;
  EXPECT_EQ(row.workers, 2u);
}

// A rank whose inner model fails says so on stderr, and the job fails: rank 1 alone has an
// instruction-set path its kernel rejects (rank 0 validated the run with its own).
// A stepped job: the failing rank never reaches the first step's collective; it joins it as
// failed, the other rank stops there, and the job ends with exit 3, no hang.
TEST(mpi, a_failing_rank_fails_a_stepped_job_without_a_hang) {
  const std::string args = "pi --kernel stepped --param steps=50 --backend mpi -w 2 --samples 400000";
  const auto r = run(mpiexec(1) + parbench() + args + " : -np 1 env PARBENCH_ISA=bogus " + parbench() + args);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("PARBENCH_ISA=bogus"));
  EXPECT_THAT(r.output, HasSubstr("1 of 2 ranks failed"));
  EXPECT_LT(r.seconds, 60.0);
}

TEST(mpi, a_failing_rank_fails_the_job) {
  const auto r = run(mpiexec(1) + parbench() + "pi --backend mpi --samples 400000 : -np 1 env PARBENCH_ISA=bogus " +
                     parbench() + "pi --backend mpi --samples 400000");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("mpi: rank 1 of 2 on "));
  EXPECT_THAT(r.output, HasSubstr("PARBENCH_ISA=bogus"));
  EXPECT_THAT(r.output, HasSubstr("1 of 2 ranks failed"));
  EXPECT_LT(r.seconds, 60.0);
}

// Every process whose command line contains `marker`.
std::vector<int> processes_with(const std::string& marker) {
  std::vector<int> found;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == ::getpid()) continue;
    const std::string cmdline = parbench::test::read_proc_file((e.path() / "cmdline").string());
    if (cmdline.find(marker) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// Files left in `dir` and below.
std::vector<std::string> files_under(const std::filesystem::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != decltype(it)(); it.increment(ec))
    if (!it->is_directory()) files.push_back(it->path().string());
  return files;
}

struct signalled_job {
  command_result result;
  std::vector<std::string> files_left;  ///< under the report's folder
  std::size_t processes_left = 0;       ///< parbench processes of the job still running
};

// A two-rank `parbench run` into a fresh folder in which rank `victim` is sent `signal` 2 s
// after it starts (a shell that becomes parbench, with a background job holding its pid).
signalled_job signal_a_rank(int victim, const std::string& signal) {
  char dir_template[] = "/tmp/parbench_mpi_signal_XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return {};
  const std::filesystem::path dir = dir_template;
  const std::string out = (dir / "report").string();
  const std::string args =
      "run --backend mpi --workers 1 --samples 1e11 --repetitions 3 --no-overhead "
      "--no-break-even -q --out " +
      out;
  const std::string plain = parbench() + args;
  const std::string doomed =
      "/bin/sh -c '(sleep 2; kill -" + signal + " $$) >/dev/null 2>&1 & exec " + parbench() + args + "'";
  signalled_job job;
  job.result = run(mpiexec(1) + (victim == 0 ? doomed : plain) + " : -np 1 " + (victim == 0 ? plain : doomed));
  std::vector<int> left = processes_with(out);
  for (int i = 0; i < 50 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = processes_with(out);
  }
  job.processes_left = left.size();
  job.files_left = files_under(dir);
  std::filesystem::remove_all(dir);
  return job;
}

// A non-root rank killed mid-run (the OOM killer, a lost node): the launcher ends the job,
// rank 0 does not wait forever in its collective; it is stopped with SIGTERM, which its
// watcher handles (MPI's own threads inherit the block), so no lock or partial report is
// left, and no parbench process outlives the job.
TEST(mpi, a_killed_rank_ends_the_job_without_a_hang_or_leftovers) {
  const signalled_job job = signal_a_rank(1, "KILL");
  EXPECT_NE(job.result.exit_code, 0) << job.result.output;
  EXPECT_LT(job.result.seconds, 60.0) << job.result.output;
  EXPECT_THAT(job.result.output, HasSubstr("unfinished report files removed")) << "rank 0 cleaned up";
  EXPECT_TRUE(job.files_left.empty()) << job.files_left.front();
  EXPECT_EQ(job.processes_left, 0u) << "parbench processes outlived the job";
}

// SIGTERM to rank 0 (a batch system ending the job): exit 143 through the launcher, the
// other rank stopped, nothing left behind.
TEST(mpi, sigterm_to_rank_0_ends_the_job_with_143_and_no_leftovers) {
  const signalled_job job = signal_a_rank(0, "TERM");
  EXPECT_EQ(job.result.exit_code, 143) << job.result.output;
  EXPECT_LT(job.result.seconds, 60.0) << job.result.output;
  EXPECT_THAT(job.result.output, HasSubstr("interrupted by SIGTERM"));
  EXPECT_TRUE(job.files_left.empty()) << job.files_left.front();
  EXPECT_EQ(job.processes_left, 0u) << "parbench processes outlived the job";
}

std::vector<std::map<std::string, std::string>> read_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> header;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::istringstream fields(line);
    std::string cell;
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (header.empty()) {
      header = cells;
      continue;
    }
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

// `parbench run` under mpiexec: rank 0 alone writes one report; its mpi rows count
// R x W workers and carry the serial hit count; the metadata names the ranks' hosts.
TEST(mpi, run_writes_one_report_from_rank_0) {
  char dir_template[] = "/tmp/parbench_mpi_run_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const auto r = run("cd " + dir.string() + " && " + mpiexec(2) + parbench() +
                     "run --backend mpi --workers 1,2 --samples 1000003 --repetitions 2 --no-break-even -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::filesystem::path> reports;
  for (const auto& e : std::filesystem::directory_iterator(dir / "reports")) reports.push_back(e.path());
  ASSERT_EQ(reports.size(), 1u) << "one report, written by rank 0 only";
  const auto& report = reports.front();

  std::size_t mpi_rows = 0;
  for (const auto& row : read_csv(report / "results.csv")) {
    if (row.at("backend") != "mpi" || row.at("row_type") != "raw") continue;
    ++mpi_rows;
    EXPECT_EQ(row.at("status"), "ok") << row.at("error");
    EXPECT_EQ(row.at("ranks"), "2");
    const unsigned per_rank = static_cast<unsigned>(std::stoul(row.at("threads_per_rank")));
    EXPECT_EQ(row.at("workers"), std::to_string(2 * per_rank));
    EXPECT_EQ(row.at("result"), serial_result("pi", 1000003, 1));
  }
  EXPECT_EQ(mpi_rows, 4u) << "W = 1, 2 x 2 repetitions";

  bool init_row = false;
  for (const auto& row : read_csv(report / "overhead.csv"))
    if (row.at("backend") == "mpi" && row.at("mechanism") == "MPI_Init + first collective") {
      init_row = true;
      EXPECT_GT(std::stod(row.at("median_us")), 0.0);
    }
  EXPECT_TRUE(init_row) << "overhead.csv has the MPI start-up";

  std::ifstream meta_file(report / "metadata.json");
  const auto meta = nlohmann::json::parse(meta_file);
  ASSERT_TRUE(meta.contains("mpi")) << meta.dump(2);
  EXPECT_EQ(meta["mpi"]["ranks"], 2);
  EXPECT_EQ(meta["mpi"]["hosts"].size(), 2u);
  EXPECT_EQ(meta["mpi"]["threads_per_rank"], nlohmann::json::array({1, 2}));
  std::filesystem::remove_all(dir);
}

// --pin inside ranks: each rank plans on the CPUs it may use; two ranks of one host not bound by
// mpirun (--bind-to none) take one CPU each, never the same one, and results stay exact.
TEST(mpi, pinned_inner_workers_of_ranks_on_one_host_take_different_cpus) {
  char dir_template[] = "/tmp/parbench_mpi_pin_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::string log = (dir / "affinity.log").string();
  const auto r = run(mpiexec(2) + "env PARBENCH_AFFINITY_LOG=" + log + " " + parbench() +
                     "run --backend mpi --inner threads --workers 1 -k pi --samples 1000003 --repetitions 1 --pin "
                     "compact --no-overhead --no-break-even -q -o " +
                     (dir / "r").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> cpus;
  std::ifstream in(log);
  for (std::string who, worker, set, now; in >> who >> worker >> set >> now;)
    if (who == "threads") cpus.insert(now);
  if (parbench::current_cpus().size() >= 2)
    EXPECT_EQ(cpus.size(), 2u) << "the two ranks' workers share a CPU";
  else
    EXPECT_EQ(cpus.size(), 1u);
  for (const auto& row : read_csv(dir / "r" / "results.csv"))
    if (row.at("backend") == "mpi") {
      EXPECT_EQ(row.at("pinning"), "compact");
      EXPECT_EQ(row.at("result"), serial_result("pi", 1000003, 1));
    }
  std::filesystem::remove_all(dir);
}

// Two unbound ranks of one host whose workers do not fit their shared CPU set: the run fails,
// naming the ranks, instead of pinning two workers onto one CPU.
TEST(mpi, ranks_sharing_a_cpu_set_too_small_for_their_workers_fail_the_run) {
  const unsigned cpus = static_cast<unsigned>(parbench::current_cpus().size());
  const auto r =
      run(mpiexec(2) + parbench() + "run --backend mpi --inner threads -k pi --samples 1000003 --repetitions 1 " +
          "--no-overhead --no-break-even -q --pin compact -o /tmp/parbench_mpi_pin_small_" +
          std::to_string(::getpid()) + " --workers " + std::to_string(cpus));
  std::filesystem::remove_all("/tmp/parbench_mpi_pin_small_" + std::to_string(::getpid()));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("shares its CPU set with ranks 0,1")) << r.output;
}

// The imbalanced kernel (two result words, uneven chunk costs) over 3 ranks x 2 threads, with
// the inner model's static split and its dynamic counter inside the ranks: every row carries
// the serial result words exactly.
TEST(mpi, imbalanced_kernel_matches_serial_under_every_inner_schedule) {
  char dir_template[] = "/tmp/parbench_mpi_imbalanced_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const auto r = run(mpiexec(3) + parbench() +
                     "run --backend mpi --inner threads --kernel imbalanced --param profile=heavy,rng=light "
                     "--workers 2 --schedule static,dynamic:2 --samples 1000003 --repetitions 1 --no-overhead "
                     "--no-break-even -q --out " +
                     (dir / "report").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string expected = serial_result("imbalanced", 1000003, 1, {{"profile", "heavy"}, {"rng", "light"}});
  ASSERT_NE(expected.find(';'), std::string::npos) << "two words: hits and draws";
  std::vector<std::string> schedules;
  for (const auto& row : read_csv(dir / "report" / "results.csv")) {
    if (row.at("backend") != "mpi" || row.at("row_type") != "raw") continue;
    EXPECT_EQ(row.at("status"), "ok") << row.at("error");
    EXPECT_EQ(row.at("kernel"), "imbalanced");
    EXPECT_EQ(row.at("result"), expected) << row.at("schedule");
    EXPECT_EQ(row.at("ranks"), "3");
    schedules.push_back(row.at("schedule"));
  }
  EXPECT_THAT(schedules, ::testing::UnorderedElementsAre("static", "dynamic:2"));
  std::filesystem::remove_all(dir);
}

// The stepped kernel over 3 ranks: one gather per step, every rank derives the same next key;
// and triad over 2 ranks: each rank's slice in its own memory (distributed), set up, run and
// verified by that rank (a row fails if any rank's verification does).
TEST(mpi, stepped_and_triad_kernels_match_serial_across_ranks) {
  char dir_template[] = "/tmp/parbench_mpi_stepped_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const auto r = run(mpiexec(3) + parbench() +
                     "run --backend mpi --kernel stepped --param steps=25 --workers 2 --samples 500000 "
                     "--repetitions 2 --no-overhead --no-break-even -q --out " +
                     (dir / "stepped").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string stepped = serial_result("stepped", 500000, 1, {{"steps", "25"}});
  int rows = 0;
  for (const auto& row : read_csv(dir / "stepped" / "results.csv")) {
    if (row.at("backend") != "mpi" || row.at("row_type") != "raw" || row.at("params") != "steps=25;rng=philox")
      continue;
    EXPECT_EQ(row.at("status"), "ok") << row.at("error");
    EXPECT_EQ(row.at("result"), stepped);
    EXPECT_EQ(row.at("ranks"), "3");
    ++rows;
  }
  EXPECT_EQ(rows, 2);
  const auto t = run(mpiexec(2) + parbench() +
                     "run --backend mpi --kernel triad --param passes=3 --workers 2 --samples 400000 "
                     "--repetitions 2 --no-overhead --no-break-even -q --out " +
                     (dir / "triad").string());
  ASSERT_EQ(t.exit_code, 0) << t.output;
  rows = 0;
  for (const auto& row : read_csv(dir / "triad" / "results.csv")) {
    if (row.at("backend") != "mpi" || row.at("row_type") != "raw") continue;
    EXPECT_EQ(row.at("status"), "ok") << row.at("error");
    EXPECT_EQ(row.at("result"), "400000");
    EXPECT_FALSE(row.at("setup_s").empty()) << "the set-up pass is timed on its own";
    ++rows;
  }
  EXPECT_EQ(rows, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
