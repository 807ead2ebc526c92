// The process backends (fork, spawn, forkserver): exact answers, exactly W processes, and the
// robustness contract: a failing worker gives a run_error naming it and the cause, and leaves
// no child process and no file descriptor behind.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backends/process/child.hpp"
#include "backends/process/forkserver.hpp"
#include "backends/registry.hpp"
#include "core/errors.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/proc_helpers.hpp"

using namespace parbench;
using namespace std::chrono_literals;

namespace {

const char* const process_backends[] = {"fork", "spawn", "forkserver"};

// Live or zombie processes whose parent is this process, except the forkserver.
std::vector<pid_t> leftover_children() {
  std::vector<pid_t> found;
  const pid_t self = ::getpid(), server = process::forkserver_pid();
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == server) continue;
    const std::string text = test::read_proc_file("/proc/" + std::string(e->d_name) + "/stat");
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(text.substr(paren + 1));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) found.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return found;
}

int open_fd_count() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (const dirent* e = ::readdir(dir)) n += e->d_name[0] != '.' ? 1 : 0;
  ::closedir(dir);
  return n - 1;  // the directory stream itself
}

// Sets PARBENCH_FAULT for one scope.
class fault_env {
 public:
  explicit fault_env(const std::string& spec) { ::setenv("PARBENCH_FAULT", spec.c_str(), 1); }
  ~fault_env() { ::unsetenv("PARBENCH_FAULT"); }
  fault_env(const fault_env&) = delete;
  fault_env& operator=(const fault_env&) = delete;
};

std::uint64_t serial_hits(const kernels::pi_job& job) { return kernels::count_hits(job, 0, job.chunk_count()); }

class process_backend : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    // Unit-test binaries have no worker mode of their own: spawn the real parbench.
    ::setenv("PARBENCH_WORKER_EXE", PARBENCH_BINARY, 0);
  }
  void SetUp() override {
    ::unsetenv("PARBENCH_FAULT");
    backend_ = find_backend(GetParam()).make();
    ASSERT_TRUE(backend_->probe().usable) << backend_->probe().reason;
    // The forkserver starts lazily: let its socket exist before descriptors are counted.
    backend_->start_empty(1);
    fds_before_ = open_fd_count();
  }
  void TearDown() override {
    EXPECT_EQ(leftover_children(), std::vector<pid_t>{}) << GetParam() << " left children behind";
    EXPECT_EQ(open_fd_count(), fds_before_) << GetParam() << " leaked file descriptors";
  }

  std::unique_ptr<backend> backend_;
  int fds_before_ = 0;
};

TEST_P(process_backend, agrees_exactly_with_serial) {
  const std::uint64_t sizes[] = {1, kernels::chunk_samples - 1, kernels::chunk_samples, kernels::chunk_samples + 1,
                                 10000003};
  for (std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{20261126}}) {
    for (std::uint64_t n : sizes) {
      const kernels::pi_job job{n, seed, kernels::rng_kind::light};
      const std::uint64_t expected = serial_hits(job);
      for (unsigned w : {1u, 2u, 3u, 4u, 7u, 8u}) {
        const run_result r = backend_->run({job, w, {}, 60s});
        EXPECT_EQ(r.hits, expected) << GetParam() << " W=" << w << " n=" << n << " seed=" << seed;
        EXPECT_EQ(r.workers_started, w);
        EXPECT_EQ(r.workers_used, std::min<std::uint64_t>(w, job.chunk_count()));
      }
    }
  }
}

TEST_P(process_backend, runs_only_the_requested_chunks) {
  const kernels::pi_job job{40 * kernels::chunk_samples + 5, 7, kernels::rng_kind::light};
  run_request request{job, 3, {}, 60s};
  request.chunks = chunk_range{11, 29};
  const run_result r = backend_->run(request);
  EXPECT_EQ(r.hits, kernels::count_hits(job, 11, 29));
  EXPECT_EQ(r.workers_used, 3u);
}

TEST_P(process_backend, starts_exactly_w_processes_and_reports_their_cpu_time) {
  const kernels::pi_job job{64 * kernels::chunk_samples, 3, kernels::rng_kind::philox};
  for (unsigned w : {1u, 3u, 8u}) {
    const run_result r = backend_->run({job, w, {}, 60s});
    EXPECT_EQ(r.workers_started, w);
    EXPECT_EQ(r.workers_used, w);
    EXPECT_GT(r.children_cpu_seconds, 0.0) << "the children's rusage is collected";
  }
}

struct fault_case {
  const char* mode;
  const char* cause;  // text the error must contain
};

TEST_P(process_backend, injected_faults_fail_cleanly_naming_worker_and_cause) {
  const fault_case cases[] = {
      {"crash", "killed by signal SIGSEGV (Segmentation fault)"},
      {"hang", "did not answer within the timeout of 0.3 s"},
      {"short", "sent a short result (8 of 16 bytes)"},
      {"garbage", "sent a garbled result"},
      {"exit", "exited with status 42"},
      {"start", "could not start worker 2"},
  };
  const kernels::pi_job job{64 * kernels::chunk_samples, 5, kernels::rng_kind::light};
  for (const auto& c : cases) {
    const fault_env fault(std::string(GetParam()) + ":2:" + c.mode);
    const auto start = std::chrono::steady_clock::now();
    try {
      backend_->run({job, 4, {}, 300ms});
      ADD_FAILURE() << GetParam() << " " << c.mode << ": no error";
    } catch (const run_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.cause), std::string::npos) << what;
      EXPECT_NE(what.find("worker 2"), std::string::npos) << what;
      EXPECT_EQ(what.rfind(GetParam(), 0), 0u) << "the message starts with the backend: " << what;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << c.mode << " took too long";
    EXPECT_EQ(leftover_children(), std::vector<pid_t>{}) << c.mode;
    EXPECT_EQ(open_fd_count(), fds_before_) << c.mode;
  }
  // The same backend object still works after every failure.
  EXPECT_EQ(backend_->run({job, 4, {}, 60s}).hits, serial_hits(job));
}

TEST_P(process_backend, a_fault_for_another_backend_or_worker_is_ignored) {
  const kernels::pi_job job{8 * kernels::chunk_samples, 5, kernels::rng_kind::light};
  {
    const fault_env fault("threads:0:crash");
    EXPECT_EQ(backend_->run({job, 2, {}, 60s}).hits, serial_hits(job));
  }
  const fault_env fault(std::string(GetParam()) + ":9:crash");
  EXPECT_EQ(backend_->run({job, 2, {}, 60s}).hits, serial_hits(job));
}

TEST_P(process_backend, malformed_fault_spec_is_a_usage_error) {
  const kernels::pi_job job{1000, 5, kernels::rng_kind::light};
  const std::string name = GetParam();
  for (const std::string& spec : {name, name + ":1", name + ":1:explode", name + ":-1:crash", name + "::crash"}) {
    const fault_env fault(spec);
    EXPECT_THROW(backend_->run({job, 2, {}, 60s}), usage_error) << spec;
  }
}

TEST_P(process_backend, hundred_runs_leak_nothing) {
  const kernels::pi_job job{3 * kernels::chunk_samples, 11, kernels::rng_kind::light};
  const std::uint64_t expected = serial_hits(job);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(backend_->run({job, 3, {}, 60s}).hits, expected) << "run " << i;
  EXPECT_EQ(open_fd_count(), fds_before_);
}

TEST_P(process_backend, raises_a_low_descriptor_limit_for_many_workers) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 400) GTEST_SKIP() << "hard descriptor limit below 400";
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const kernels::pi_job job{100 * kernels::chunk_samples, 4, kernels::rng_kind::light};
  EXPECT_EQ(backend_->run({job, 100, {}, 60s}).hits, serial_hits(job));
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

TEST_P(process_backend, start_empty_starts_and_reaps_w_workers) {
  for (unsigned w : {1u, 4u, 16u}) EXPECT_NO_THROW(backend_->start_empty(w));
}

TEST_P(process_backend, buffered_stdout_is_not_duplicated_by_workers) {
  char path[] = "/tmp/parbench_stdout_XXXXXX";
  const int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(file, STDOUT_FILENO);
  ::close(file);
  std::printf("marker line\n");  // buffered: stdout is a file now
  const kernels::pi_job job{4 * kernels::chunk_samples, 1, kernels::rng_kind::light};
  const run_result r = backend_->run({job, 4, {}, 60s});
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(path);
  EXPECT_EQ(text, "marker line\n");
  EXPECT_EQ(r.hits, serial_hits(job));
}

INSTANTIATE_TEST_SUITE_P(all, process_backend, ::testing::ValuesIn(process_backends),
                         [](const auto& test_info) { return std::string(test_info.param); });

// Forked children must stay clear of the OpenMP and TBB runtimes whose pools are alive here.
TEST(process_backends, run_after_openmp_and_tbb_in_one_process) {
  ::setenv("PARBENCH_WORKER_EXE", PARBENCH_BINARY, 0);
  const kernels::pi_job job{2 * kernels::chunk_samples * 8 + 3, 9, kernels::rng_kind::light};
  const std::uint64_t expected = serial_hits(job);
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (!b->probe().usable) continue;
    // The timeout turns a child that would hang in a runtime into a failed run, not a hung test.
    EXPECT_EQ(b->run({job, 4, {}, 20s}).hits, expected) << entry.name;
  }
  for (const char* name : process_backends) EXPECT_EQ(find_backend(name).make()->run({job, 4, {}, 20s}).hits, expected);
  EXPECT_EQ(leftover_children(), std::vector<pid_t>{});
}

// A real EAGAIN from fork/posix_spawn: a helper process under a tiny RLIMIT_NPROC (as user
// nobody, because root ignores that limit) runs each backend with more workers than it may start.
TEST(process_backends, process_limit_is_a_clear_error_and_cleans_up) {
  ::setenv("PARBENCH_WORKER_EXE", PARBENCH_BINARY, 0);
  std::fflush(nullptr);
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    if (::getuid() != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    const kernels::pi_job job{64 * kernels::chunk_samples, 1, kernels::rng_kind::light};
    int failures = 0;
    for (const char* name : process_backends) {
      // A checkout under a private home directory is not executable for nobody: no EAGAIN to see.
      if (std::string_view(name) == "spawn" && ::access(PARBENCH_BINARY, X_OK) != 0) continue;
      // Room for this helper and two more processes (the forkserver takes one of them).
      const rlimit limit{3, 3};
      ::setrlimit(RLIMIT_NPROC, &limit);
      try {
        find_backend(name).make()->run({job, 8, {}, 20s});
        std::fprintf(stderr, "%s: no error\n", name);
        ++failures;
      } catch (const run_error& e) {
        const std::string what = e.what();
        if (what.find("could not start worker") == std::string::npos ||
            what.find("Resource temporarily unavailable") == std::string::npos ||
            what.find("ulimit -u") == std::string::npos) {
          std::fprintf(stderr, "%s: unexpected message: %s\n", name, what.c_str());
          ++failures;
        }
      }
      if (!leftover_children().empty()) {
        std::fprintf(stderr, "%s: children left behind\n", name);
        ++failures;
      }
    }
    ::_exit(failures == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  ASSERT_TRUE(WIFEXITED(status)) << process::describe_status(status);
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "needs root to switch to user nobody";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the helper's messages above";
}

TEST(spawn_backend, missing_worker_executable_is_a_clear_error) {
  ::setenv("PARBENCH_WORKER_EXE", "/nonexistent/parbench", 1);
  auto b = find_backend("spawn").make();
  EXPECT_FALSE(b->probe().usable);
  try {
    b->run({{1000, 1, kernels::rng_kind::light}, 2, {}, 10s});
    ADD_FAILURE() << "no error";
  } catch (const run_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/parbench"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("PARBENCH_WORKER_EXE"), std::string::npos) << e.what();
  }
  ::setenv("PARBENCH_WORKER_EXE", PARBENCH_BINARY, 1);
  EXPECT_EQ(leftover_children(), std::vector<pid_t>{});
}

TEST(spawn_backend, hidden_worker_mode_rejects_bad_arguments) {
  const auto r = test::run_parbench("__worker 1 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("internal worker mode"), std::string::npos) << r.output;
  EXPECT_EQ(test::run_parbench("__worker 100 1 philox 0 5 0 none 1").exit_code, 2) << "chunks beyond the job";
}

TEST(forkserver_backend, restarts_after_the_server_was_killed) {
  auto b = find_backend("forkserver").make();
  const kernels::pi_job job{5 * kernels::chunk_samples, 2, kernels::rng_kind::light};
  b->start_empty(1);
  const pid_t first = process::forkserver_pid();
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  EXPECT_EQ(b->run({job, 3, {}, 20s}).hits, serial_hits(job));
  EXPECT_NE(process::forkserver_pid(), first);
  EXPECT_GT(process::forkserver_pid(), 0);
}

TEST(forkserver_backend, server_exits_with_its_parent_and_on_end_of_file) {
  // End of file: stop_forkserver closes the socket and reaps the server, which must exit by itself.
  process::start_forkserver();
  ASSERT_GT(process::forkserver_pid(), 0);
  process::stop_forkserver();
  EXPECT_EQ(process::forkserver_pid(), -1);
  EXPECT_EQ(leftover_children(), std::vector<pid_t>{});

  // Parent death: a harness process that is SIGKILLed takes its server with it (no orphan).
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t harness = ::fork();
  ASSERT_GE(harness, 0);
  if (harness == 0) {
    process::start_forkserver();
    const pid_t server = process::forkserver_pid();
    (void)!::write(report[1], &server, sizeof server);
    for (;;) ::pause();
  }
  ::close(report[1]);
  pid_t server = -1;
  ASSERT_EQ(::read(report[0], &server, sizeof server), static_cast<ssize_t>(sizeof server));
  ::close(report[0]);
  ASSERT_GT(server, 0);
  ::kill(harness, SIGKILL);
  ::waitpid(harness, nullptr, 0);
  // The orphaned server is reparented; it is gone once /proc shows it missing or a zombie.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    const char state = test::process_state(server);
    gone = state == '\0' || state == 'Z';
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "forkserver " << server << " outlived its parent";
}

// The real binary with stdout on a file: every line once, every process backend agreeing.
TEST(process_backends, cli_output_to_a_file_has_no_duplicated_lines) {
  char path[] = "/tmp/parbench_cli_XXXXXX";
  const int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  ::close(file);
  const auto r = test::run_parbench(std::string("pi -b serial,fork,spawn,forkserver -w 4 -n 300000 > ") + path);
  std::ifstream in(path);
  std::map<std::string, int> seen;
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(++seen[line], 1) << "duplicated line: " << line;
  }
  ::unlink(path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(lines, 6) << "header, four rows, agreement line";
  bool agree = false;
  for (const auto& [text, count] : seen) agree = agree || text.rfind("all backends agree: ", 0) == 0;
  EXPECT_TRUE(agree) << "the four backends agree";
}

}  // namespace
