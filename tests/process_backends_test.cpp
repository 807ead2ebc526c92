// The process backends (fork, spawn, forkserver): exact answers under both schedules (static
// block split, dynamic task queue), exactly W processes, and the robustness contract: a failing
// worker gives a run_error naming it and the cause, and leaves no child process and no file
// descriptor behind.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

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
#include "backends/process/spawn.hpp"
#include "backends/process/unique_fd.hpp"
#include "backends/process/worker.hpp"
#include "backends/registry.hpp"
#include "core/errors.hpp"
#include "core/job_codec.hpp"
#include "kernels/registry.hpp"
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

constexpr std::uint64_t chunk = std::uint64_t{1} << 16;  // pi's and imbalanced's base chunk

using job_ptr = std::shared_ptr<const kernel_job>;

job_ptr pi(std::uint64_t n, std::uint64_t seed, const char* rng = "light") {
  return make_job("pi", n, seed, {{"rng", rng}});
}

result_words serial(const job_ptr& job) { return compute(*job, {0, job->chunk_count()}); }

run_request request(const job_ptr& job, unsigned workers, std::chrono::milliseconds timeout,
                    parbench::schedule schedule = {}) {
  run_request r;
  r.job = job;
  r.workers = workers;
  r.schedule = std::move(schedule);
  r.timeout = timeout;
  return r;
}

const parbench::schedule schedules[] = {{"static", 0}, {"dynamic", 0}, {"dynamic", 3}};

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

TEST_P(process_backend, declares_its_abilities) {
  const backend_abilities a = backend_->abilities();
  ASSERT_EQ(a.schedules.size(), 2u);
  EXPECT_EQ(a.schedules[0].name, "static") << "static is the default";
  EXPECT_TRUE(a.schedules[0].fixed_split);
  EXPECT_FALSE(a.schedules[0].takes_grain);
  EXPECT_EQ(a.schedules[1].name, "dynamic");
  EXPECT_FALSE(a.schedules[1].fixed_split);
  EXPECT_TRUE(a.schedules[1].takes_grain);
  EXPECT_TRUE(a.honours_subranges);
  EXPECT_FALSE(a.nestable);
  EXPECT_TRUE(a.kernels.empty()) << "every kernel";
}

TEST_P(process_backend, rejects_schedules_it_does_not_offer) {
  const job_ptr job = pi(1000, 1);
  EXPECT_THROW(backend_->run(request(job, 2, 60s, {"bogus", 0})), usage_error);
  EXPECT_THROW(backend_->run(request(job, 2, 60s, {"static", 4})), usage_error) << "static takes no chunk count";
  EXPECT_EQ(backend_->run(request(job, 2, 60s, {})).result, serial(job)) << "empty = the default";
}

TEST_P(process_backend, agrees_exactly_with_serial) {
  const std::uint64_t sizes[] = {1, chunk - 1, chunk, chunk + 1, 10000003};
  for (const auto& sched : schedules) {
    for (std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{20261126}}) {
      for (std::uint64_t n : sizes) {
        const job_ptr job = pi(n, seed);
        const result_words expected = serial(job);
        const std::uint64_t tasks = sched.name == "static"
                                        ? job->chunk_count()
                                        : (job->chunk_count() + std::max<std::uint64_t>(sched.grain, 1) - 1) /
                                              std::max<std::uint64_t>(sched.grain, 1);
        for (unsigned w : {1u, 2u, 3u, 7u, 8u}) {
          const run_result r = backend_->run(request(job, w, 60s, sched));
          EXPECT_EQ(r.result, expected) << GetParam() << " " << to_string(sched) << " W=" << w << " n=" << n
                                        << " seed=" << seed;
          EXPECT_EQ(r.workers_started, w);
          // A dynamic worker gets its first task as it starts, so min(W, tasks) workers run one.
          EXPECT_EQ(r.workers_used, std::min<std::uint64_t>(w, tasks)) << to_string(sched) << " W=" << w;
        }
      }
    }
  }
}

// The imbalanced kernel under every profile: two result words (hits, draws), chunk costs that
// vary, so the dynamic queue hands chunks out in an order that depends on timing.
TEST_P(process_backend, imbalanced_kernel_agrees_exactly_with_serial) {
  for (const char* profile : {"ramp", "heavy", "random"}) {
    const job_ptr job =
        make_job("imbalanced", 20 * chunk + 7, 3, {{"profile", profile}, {"max_weight", "4"}, {"rng", "light"}});
    const result_words expected = serial(job);
    ASSERT_EQ(expected.size(), 2u);
    for (const auto& sched : schedules)
      for (unsigned w : {1u, 2u, 3u, 7u}) {
        const run_result r = backend_->run(request(job, w, 60s, sched));
        EXPECT_EQ(r.result, expected) << GetParam() << " " << profile << " " << to_string(sched) << " W=" << w;
        EXPECT_EQ(r.workers_started, w);
      }
  }
}

TEST_P(process_backend, runs_only_the_requested_chunks) {
  const job_ptr job = pi(40 * chunk + 5, 7);
  for (const auto& sched : schedules) {
    run_request r = request(job, 3, 60s, sched);
    r.chunks = chunk_range{11, 29};
    const run_result out = backend_->run(r);
    EXPECT_EQ(out.result, compute(*job, {11, 29})) << to_string(sched);
    EXPECT_EQ(out.workers_used, 3u) << to_string(sched);
  }
}

TEST_P(process_backend, starts_exactly_w_processes_and_reports_their_cpu_time) {
  const job_ptr job = pi(64 * chunk, 3, "philox");
  for (const auto& sched : schedules)
    for (unsigned w : {1u, 3u, 8u}) {
      const run_result r = backend_->run(request(job, w, 60s, sched));
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
  // A pi result message: 16 bytes of header, worker (4), range (16), word count (8), one word.
  ASSERT_EQ(process::result_message_size(1), 52u);
  const fault_case cases[] = {
      {"crash", "killed by signal SIGSEGV (Segmentation fault)"},
      {"hang", "did not answer within the timeout of 0.3 s"},
      {"short", "sent a short result (26 of 52 bytes)"},
      {"garbage", "sent a garbled result (wrong magic number"},
      {"exit", "exited with status 42"},
      {"start", "could not start worker 2"},
  };
  const job_ptr job = pi(64 * chunk, 5);
  for (const auto& sched : schedules) {
    for (const auto& c : cases) {
      const fault_env fault(std::string(GetParam()) + ":2:" + c.mode);
      const auto start = std::chrono::steady_clock::now();
      try {
        backend_->run(request(job, 4, 300ms, sched));
        ADD_FAILURE() << GetParam() << " " << to_string(sched) << " " << c.mode << ": no error";
      } catch (const run_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(c.cause), std::string::npos) << to_string(sched) << ": " << what;
        EXPECT_NE(what.find("worker 2"), std::string::npos) << to_string(sched) << ": " << what;
        EXPECT_EQ(what.rfind(GetParam(), 0), 0u) << "the message starts with the backend: " << what;
      }
      EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << c.mode << " took too long";
      EXPECT_EQ(leftover_children(), std::vector<pid_t>{}) << to_string(sched) << " " << c.mode;
      EXPECT_EQ(open_fd_count(), fds_before_) << to_string(sched) << " " << c.mode;
    }
    // The same backend object still works after every failure.
    EXPECT_EQ(backend_->run(request(job, 4, 60s, sched)).result, serial(job)) << to_string(sched);
  }
}

TEST_P(process_backend, a_fault_for_another_backend_or_worker_is_ignored) {
  const job_ptr job = pi(8 * chunk, 5);
  for (const auto& sched : schedules) {
    {
      const fault_env fault("threads:0:crash");
      EXPECT_EQ(backend_->run(request(job, 2, 60s, sched)).result, serial(job));
    }
    const fault_env fault(std::string(GetParam()) + ":9:crash");
    EXPECT_EQ(backend_->run(request(job, 2, 60s, sched)).result, serial(job));
  }
}

TEST_P(process_backend, malformed_fault_spec_is_a_usage_error) {
  const job_ptr job = pi(1000, 5);
  const std::string name = GetParam();
  for (const std::string& spec : {name, name + ":1", name + ":1:explode", name + ":-1:crash", name + "::crash"}) {
    const fault_env fault(spec);
    EXPECT_THROW(backend_->run(request(job, 2, 60s)), usage_error) << spec;
  }
}

TEST_P(process_backend, hundred_runs_leak_nothing) {
  const job_ptr job = pi(3 * chunk, 11);
  const result_words expected = serial(job);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(backend_->run(request(job, 3, 60s, schedules[i % 3])).result, expected) << "run " << i;
  EXPECT_EQ(open_fd_count(), fds_before_);
}

TEST_P(process_backend, raises_a_low_descriptor_limit_for_many_workers) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 400) GTEST_SKIP() << "hard descriptor limit below 400";
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const job_ptr job = pi(100 * chunk, 4);
  EXPECT_EQ(backend_->run(request(job, 100, 60s)).result, serial(job));
  // Dynamic workers hold two descriptors each in the parent.
  EXPECT_EQ(backend_->run(request(job, 100, 60s, {"dynamic", 0})).result, serial(job));
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
  const job_ptr job = pi(4 * chunk, 1);
  const run_result r = backend_->run(request(job, 4, 60s));
  const run_result d = backend_->run(request(job, 4, 60s, {"dynamic", 0}));
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(path);
  EXPECT_EQ(text, "marker line\n");
  EXPECT_EQ(r.result, serial(job));
  EXPECT_EQ(d.result, serial(job));
}

// Triad's arrays live in one memfd: the workers map it (fork by inheritance, spawn from fd 3,
// forkserver by SCM_RIGHTS). Nothing of it outlives the job: no descriptor left open here, no
// file in /dev/shm, no worker left, also when a worker is killed in the middle of a pass.
TEST_P(process_backend, triad_memory_is_shared_and_nothing_is_left_behind) {
  const auto shm_entries = [] {
    std::size_t n = 0;
    // Only parbench's own: other tests running at the same time (Open MPI) use /dev/shm too.
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm"))
      if (e.path().filename().string().find("parbench") != std::string::npos) ++n;
    return n;
  };
  const std::size_t shm_before = shm_entries();
  for (const auto& sched : schedules) {
    const job_ptr job = make_job("triad", 9 * 65536 + 3, 1, {{"passes", "3"}});
    const run_request req = request(job, 3, 60s, sched);
    ASSERT_TRUE(run_setup(*backend_, req));
    EXPECT_TRUE(job->check(backend_->run(req).result).ok) << to_string(sched);
    const auto verified = run_verify(*backend_, req);
    ASSERT_TRUE(verified.has_value());
    EXPECT_TRUE(verified->ok) << to_string(sched) << ": " << verified->summary;
    {
      const fault_env fault(std::string(GetParam()) + ":1:crash");
      EXPECT_THROW((void)backend_->run(req), run_error) << to_string(sched);
    }
    EXPECT_EQ(leftover_children(), std::vector<pid_t>{}) << to_string(sched);
  }
  // Every job is gone: the descriptor count is back (TearDown) and /dev/shm holds nothing new.
  EXPECT_EQ(shm_entries(), shm_before);
}

INSTANTIATE_TEST_SUITE_P(all, process_backend, ::testing::ValuesIn(process_backends),
                         [](const auto& test_info) { return std::string(test_info.param); });

// Forked children must stay clear of the OpenMP and TBB runtimes whose pools are alive here.
TEST(process_backends, run_after_openmp_and_tbb_in_one_process) {
  ::setenv("PARBENCH_WORKER_EXE", PARBENCH_BINARY, 0);
  const job_ptr job = pi(2 * chunk * 8 + 3, 9);
  const result_words expected = serial(job);
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (!b->probe().usable || !supports_kernel(b->abilities(), "pi")) continue;
    // The timeout turns a child that would hang in a runtime into a failed run, not a hung test.
    EXPECT_EQ(b->run(request(job, 4, 20s)).result, expected) << entry.name;
  }
  for (const char* name : process_backends)
    for (const auto& sched : schedules)
      EXPECT_EQ(find_backend(name).make()->run(request(job, 4, 20s, sched)).result, expected) << name;
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
    const job_ptr job = pi(64 * chunk, 1);
    int failures = 0;
    for (const char* name : process_backends) {
      // A checkout under a private home directory is not executable for nobody: no EAGAIN to see.
      if (std::string_view(name) == "spawn" && ::access(PARBENCH_BINARY, X_OK) != 0) continue;
      // Room for this helper and two more processes (the forkserver takes one of them).
      const rlimit limit{3, 3};
      ::setrlimit(RLIMIT_NPROC, &limit);
      try {
        find_backend(name).make()->run(request(job, 8, 20s));
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
    b->run(request(pi(1000, 1), 2, 10s));
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
  const std::string beyond = codec::to_hex(codec::encode_job(pi(100, 1)->spec(), {0, 5}));
  EXPECT_EQ(test::run_parbench("__worker " + beyond + " 0 none once 1 -1 -1 -1").exit_code, 2)
      << "chunks beyond the job";
  EXPECT_EQ(test::run_parbench("__worker 0123 0 none once 1 -1 -1 -1").exit_code, 2) << "not a job message";
  const std::string fine = codec::to_hex(codec::encode_job(pi(100, 1)->spec(), {0, 1}));
  EXPECT_EQ(test::run_parbench("__worker " + fine + " 0 none once 1 -1 5 -1").exit_code, 2)
      << "the barrier is fd 4 or -1";
  EXPECT_EQ(test::run_parbench("__worker " + fine + " 0 none once 1 -1 -1 -2").exit_code, 2) << "a CPU is -1 or more";
  EXPECT_EQ(test::run_parbench("__worker " + fine + " 0 none once 1 -1 -1").exit_code, 2) << "the CPU is required";
  const std::string unknown = codec::to_hex(codec::encode_job({"no-such-kernel", 100, 1, {}}, {0, 1}));
  const auto u = test::run_parbench("__worker " + unknown + " 0 none once 1 -1 -1 -1");
  EXPECT_EQ(u.exit_code, 2) << "a kernel this binary does not have";
  EXPECT_NE(u.output.find("no-such-kernel"), std::string::npos) << u.output;
}

// What spawn puts on a worker's command line: the job and its chunk range as one hex codec
// message. The real binary decodes it, rebuilds the job with make_job and answers with the
// exact partial result, which this test decodes with the same codec.
TEST(spawn_backend, hex_job_on_the_command_line_round_trips) {
  const job_ptr job = make_job("imbalanced", 12 * chunk + 5, 77, {{"profile", "heavy"}, {"rng", "light"}});
  process::assignment a;
  a.job = job;
  a.range = {3, 11};
  a.worker = 5;
  const std::vector<std::string> args = process::worker_arguments(a, ::getpid());
  ASSERT_EQ(args.size(), 8u);
  EXPECT_EQ(args[5], "-1") << "no shared memory for a kernel without arrays";
  EXPECT_EQ(args[6], "-1") << "no start barrier";
  EXPECT_EQ(args[7], "-1") << "not pinned";
  const codec::decoded_job decoded = codec::decode_job(codec::from_hex(args[0]));
  EXPECT_EQ(decoded.spec, job->spec());
  EXPECT_EQ(decoded.range.first, 3u);
  EXPECT_EQ(decoded.range.last, 11u);

  process::pipe_fds out = process::make_pipe();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out.write.get(), STDOUT_FILENO);
    std::vector<std::string> argv_text = {PARBENCH_BINARY, process::worker_mode_argument};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_text.size() + 1);
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(PARBENCH_BINARY, argv.data());
    ::_exit(127);
  }
  out.write.reset();
  std::string message(process::result_message_size(2) + 1, '\0');
  const ssize_t n = process::read_full(out.read.get(), message.data(), message.size());
  process::child_process worker(pid);
  const process::exit_info info = worker.wait();
  EXPECT_TRUE(info.success()) << process::describe_status(info.status);
  ASSERT_EQ(n, static_cast<ssize_t>(process::result_message_size(2))) << "one message, then end of file";
  message.resize(static_cast<std::size_t>(n));
  const process::worker_result r = process::decode_result(message);
  EXPECT_EQ(r.worker, 5u);
  EXPECT_EQ(r.range.first, 3u);
  EXPECT_EQ(r.range.last, 11u);
  EXPECT_EQ(r.words, compute(*job, {3, 11}));
}

// The task and result messages of the dynamic protocol, and the frame sizes a stream reader uses.
TEST(process_worker, task_and_result_messages_round_trip) {
  const std::string task = process::encode_task(process::task{{4, 9}, 0xfeedULL});
  EXPECT_EQ(codec::frame_size(task), task.size());
  const auto decoded = process::decode_task(task);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->range.first, 4u);
  EXPECT_EQ(decoded->range.last, 9u);
  EXPECT_EQ(decoded->key, 0xfeedULL) << "the step's key travels with the task";
  EXPECT_FALSE(process::decode_task(process::encode_task(std::nullopt)).has_value()) << "the end marker";
  EXPECT_THROW((void)process::decode_task(process::encode_result({0, {4, 9}, {1}}, codec::result_magic)),
               codec::codec_error);

  const process::worker_result r{3, {1, 2}, {10, 20, 30}};
  const std::string m = process::encode_result(r, codec::result_magic);
  EXPECT_EQ(m.size(), process::result_message_size(3));
  EXPECT_EQ(codec::frame_size(m), m.size());
  const process::worker_result back = process::decode_result(m);
  EXPECT_EQ(back.worker, 3u);
  EXPECT_EQ(back.words, r.words);
  EXPECT_THROW((void)process::decode_result(m.substr(0, m.size() / 2)), codec::codec_error);
  EXPECT_THROW((void)process::decode_result(process::encode_result(r, ~codec::result_magic)), codec::codec_error);
  std::string huge = m;
  huge[15] = '\x7f';  // a payload length far beyond codec::max_message
  EXPECT_EQ(codec::frame_size(huge), UINT64_MAX);
}

TEST(forkserver_backend, restarts_after_the_server_was_killed) {
  auto b = find_backend("forkserver").make();
  const job_ptr job = pi(5 * chunk, 2);
  b->start_empty(1);
  const pid_t first = process::forkserver_pid();
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  // Killed between runs (it has ended before the next request): restarted, the run succeeds. One
  // killed during a run fails that run instead (reliability catalogue, forkserver_killed_*).
  for (int i = 0; i < 500 && test::process_state(first) != 'Z'; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(b->run(request(job, 3, 20s, {"dynamic", 0})).result, serial(job));
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
  EXPECT_EQ(lines, 7) << "kernel line, header, four rows, agreement line";
  bool agree = false;
  for (const auto& [text, count] : seen) agree = agree || text.rfind("all backends agree: ", 0) == 0;
  EXPECT_TRUE(agree) << "the four backends agree";
}

}  // namespace
