#include "bench/sync_mechanisms.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif
#if defined(PARBENCH_HAVE_MPI)
#include <mpi.h>

#include "backends/mpi/mpi_env.hpp"
#endif

namespace parbench::bench {
namespace {

// Every mechanism runs the same step: worker w adds w + 1 to its accumulator, so after `steps`
// steps the accumulators sum to steps * W (W + 1) / 2 exactly.
constexpr std::uint64_t step_sum(std::uint64_t workers) { return workers * (workers + 1) / 2; }

#if defined(_OPENMP)
// Worker w's share of one step, into its private copies of the reduction targets. Iteration 0 is
// thread 0's (schedule(static, 1), one iteration per thread), the thread that entered the parallel
// region and so the only one that may drive `state`; its vote to stop is reduced with the sum.
void openmp_work(benchmark::State& state, int w, std::uint64_t& sum, bool& stop) {
  sum += static_cast<std::uint64_t>(w) + 1;
  if (w == 0) stop = !state.KeepRunning();
}

// One `omp parallel` region for the whole measurement; its thread 0 is the benchmark's thread and
// runs the benchmark loop (KeepRunning inside the reduction). A step is one `omp for` with a
// reduction: the iteration per thread is its work, the reduction and the construct's implicit
// barrier are the combine and the wait, and every thread then reads the shared result. The
// targets alternate between two pairs, even and odd steps, and are never reset: a fast thread adds
// into step s + 1's while a slow one may still read step s's, and it reaches step s + 2's (the
// same as s's) only after every thread has passed step s + 1's barrier. So each step costs one
// construct with its barrier, as in an OpenMP code that reduces once per step.
void openmp_barrier_reduction(benchmark::State& state) {
  const auto workers = static_cast<int>(state.range(0));
  std::uint64_t sum_even = 0, sum_odd = 0;
  bool stop_even = false, stop_odd = false;
  int team = 0;
  bool wrong = false;
#pragma omp parallel num_threads(workers)
  {
#pragma omp single
    team = omp_get_num_threads();
    const std::uint64_t per_step = step_sum(static_cast<std::uint64_t>(team));
    for (std::uint64_t pair = 1; team == workers; ++pair) {
#pragma omp for schedule(static, 1) reduction(+ : sum_even) reduction(|| : stop_even)
      for (int w = 0; w < team; ++w) openmp_work(state, w, sum_even, stop_even);
      if (omp_get_thread_num() == 0 && sum_even != pair * per_step) wrong = true;
      if (stop_even) break;
#pragma omp for schedule(static, 1) reduction(+ : sum_odd) reduction(|| : stop_odd)
      for (int w = 0; w < team; ++w) openmp_work(state, w, sum_odd, stop_odd);
      if (omp_get_thread_num() == 0 && sum_odd != pair * per_step) wrong = true;
      if (stop_odd) break;
    }
  }
  if (team != workers)
    state.SkipWithError(fmt::format("OpenMP gave a team of {} threads, not {}", team, workers).c_str());
  else if (wrong)
    state.SkipWithError("a step's reduced sum was wrong");
}

// EPCC syncbench's way: every thread runs the same fixed delay before the construct, and the
// overhead per step is (time of delay + construct, `reps` times) - (time of the delay alone,
// `reps` times on one thread), divided by reps. With work between the barriers the threads do
// not arrive together, as in a real step, and a step costs what a barrier costs after work.
// The delay is a dependent xorshift chain (no memory, not vectorisable), about a microsecond.
constexpr int delay_iterations = 1024;
constexpr int delayed_reps = 1000;

std::uint64_t delay(std::uint64_t x) noexcept {
  for (int i = 0; i < delay_iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

void openmp_barrier_reduction_after_delay(benchmark::State& state) {
  using clock = std::chrono::steady_clock;
  const auto workers = static_cast<int>(state.range(0));
  bool wrong = false;
  int team = workers;
  for (auto _ : state) {
    const auto ref_start = clock::now();
    std::uint64_t x = 1;
    for (int r = 0; r < delayed_reps; ++r) x = delay(x);
    benchmark::DoNotOptimize(x);
    const auto ref_end = clock::now();
    std::uint64_t sum = 0;
    const auto test_start = clock::now();
#pragma omp parallel num_threads(workers)
    {
#pragma omp single
      team = omp_get_num_threads();
      std::uint64_t mine = static_cast<std::uint64_t>(omp_get_thread_num()) + 1;
      for (int r = 0; r < delayed_reps; ++r) {
#pragma omp for schedule(static, 1) reduction(+ : sum)
        for (int w = 0; w < team; ++w) {
          mine = delay(mine);
          sum += static_cast<std::uint64_t>(w) + 1 + (mine & 0);
        }
      }
      benchmark::DoNotOptimize(mine);
    }
    const auto test_end = clock::now();
    if (team != workers || sum != static_cast<std::uint64_t>(delayed_reps) * step_sum(static_cast<std::uint64_t>(team)))
      wrong = true;
    const double overhead = (std::chrono::duration<double>(test_end - test_start).count() -
                             std::chrono::duration<double>(ref_end - ref_start).count()) /
                            delayed_reps;
    state.SetIterationTime(std::max(overhead, 1e-12));  // noise can make it negative
  }
  if (wrong) state.SkipWithError("a step's reduced sum was wrong, or the team was not W threads");
}
#endif

// What the std::barrier's workers share. The completion step runs while every worker is blocked
// in the barrier, so it alone writes `total` and `done`, and workers read them between the
// barrier and their next arrival.
struct alignas(64) padded_word {
  std::uint64_t value = 0;
};
struct barrier_shared {
  explicit barrier_shared(unsigned w) : workers(w), accumulators(w) {}
  unsigned workers;
  std::vector<padded_word> accumulators;
  std::uint64_t steps = 0;
  std::uint64_t total = 0;
  bool stopping = false;  // set by the benchmark thread before it arrives for the last step
  bool done = false;      // the completion step's copy of `stopping`: the step just ended was the last
  bool wrong = false;
};

struct barrier_completion {
  barrier_shared* shared;
  void operator()() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& a : shared->accumulators) sum += a.value;
    ++shared->steps;
    if (sum != shared->steps * step_sum(shared->workers)) shared->wrong = true;
    shared->total = sum;
    shared->done = shared->stopping;
  }
};

// W - 1 persistent std::threads and the benchmark's thread as worker 0; one iteration is one
// barrier phase whose completion sums the accumulators. To stop, the benchmark thread sets
// `stopping` and takes one more step; the completion hands that to the workers as `done`, so
// every worker leaves after the same phase (a flag read outside the barrier could let a worker
// leave a phase early and strand the others).
void std_barrier(benchmark::State& state) {
  const auto workers = static_cast<unsigned>(state.range(0));
  barrier_shared shared(workers);
  std::barrier step_barrier(static_cast<std::ptrdiff_t>(workers), barrier_completion{&shared});
  const auto step = [&shared, &step_barrier](unsigned w) {
    shared.accumulators[w].value += w + 1;
    step_barrier.arrive_and_wait();
    benchmark::DoNotOptimize(shared.total);
  };
  std::vector<std::thread> helpers;
  std::string failure;
  try {
    helpers.reserve(workers - 1);
    for (unsigned w = 1; w < workers; ++w)
      helpers.emplace_back([&shared, &step, w] {
        do step(w);
        while (!shared.done);
      });
  } catch (const std::system_error& e) {
    failure = e.what();
  }
  if (failure.empty())
    for (auto _ : state) step(0);
  shared.stopping = true;
  // Threads that failed to start leave the barrier, so the ones that did can finish.
  for (std::size_t w = helpers.size() + 1; w < workers; ++w) step_barrier.arrive_and_drop();
  step(0);
  for (auto& t : helpers) t.join();
  if (!failure.empty())
    state.SkipWithError(("cannot start a thread: " + failure).c_str());
  else if (shared.wrong)
    state.SkipWithError("a step's combined sum was wrong");
}

// Fixed-size messages in the host's layout: a bare round trip, deliberately not the process
// backends' codec, whose cost is what this is compared against.
struct task_message {
  std::uint64_t step;
  std::uint64_t worker;
  std::uint64_t addend;
  std::uint64_t spare;
};
struct result_message {
  std::uint64_t step;
  std::uint64_t worker;
  std::uint64_t accumulator;
  std::uint64_t addend;
  std::uint64_t spare;
};
static_assert(sizeof(task_message) == 32 && sizeof(result_message) == 40);

// 1: `size` bytes read; 0: end of stream before the first byte; -1: error or a torn message.
int read_exactly(int fd, void* data, std::size_t size) noexcept {
  auto* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t r = ::read(fd, p + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r == 0 && got == 0 ? 0 : -1;
    got += static_cast<std::size_t>(r);
  }
  return 1;
}

bool send_exactly(int fd, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const char*>(data);
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t r = ::send(fd, p + sent, size - sent, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    sent += static_cast<std::size_t>(r);
  }
  return true;
}

// A forked child's whole life: answer each task with its accumulator until the parent closes
// the socket. Async-signal-safe calls only (the parent has threads) and never returns.
[[noreturn]] void serve_tasks(int fd, pid_t parent) noexcept {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(3);
  std::uint64_t accumulator = 0;
  task_message task{};
  while (true) {
    const int r = read_exactly(fd, &task, sizeof task);
    if (r == 0) ::_exit(0);
    if (r < 0) ::_exit(1);
    accumulator += task.addend;
    const result_message result{task.step, task.worker, accumulator, task.addend, 0};
    if (!send_exactly(fd, &result, sizeof result)) ::_exit(1);
  }
}

// The children and the parent's ends of their sockets. The destructor closes every socket (each
// child sees end of stream and exits) and then reaps every child.
class child_team {
 public:
  child_team() = default;
  child_team(const child_team&) = delete;
  child_team& operator=(const child_team&) = delete;
  ~child_team() { stop(); }

  /// Forks one more child; an empty string on success, else what failed.
  std::string add() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return std::string("socketpair: ") + std::strerror(errno);
    const pid_t parent = ::getpid();
    std::fflush(nullptr);  // no buffered output copied into the child
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (int fd : sockets_) ::close(fd);  // earlier children's parent ends
      ::close(fds[0]);
      serve_tasks(fds[1], parent);
    }
    ::close(fds[1]);
    if (pid < 0) {
      ::close(fds[0]);
      return std::string("fork: ") + std::strerror(errno);
    }
    sockets_.push_back(fds[0]);
    children_.push_back(pid);
    return {};
  }

  [[nodiscard]] const std::vector<int>& sockets() const noexcept { return sockets_; }

  /// Closes the sockets and reaps the children; whether every child exited with status 0.
  bool stop() noexcept {
    for (int fd : sockets_) ::close(fd);
    sockets_.clear();
    bool clean = true;
    for (pid_t pid : children_) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      clean = clean && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    children_.clear();
    return clean;
  }

 private:
  std::vector<int> sockets_;
  std::vector<pid_t> children_;
};

// W persistent forked children; the parent is the combiner, not a worker. Per step it sends every
// child its task first (so the children work at once), then reads every answer and sums the
// accumulators; the children's wait for the next task is the wait for the combined result.
void pipe_round_trip(benchmark::State& state) {
  const auto workers = static_cast<std::uint64_t>(state.range(0));
  child_team team;
  for (std::uint64_t w = 0; w < workers; ++w)
    if (std::string failure = team.add(); !failure.empty()) {
      state.SkipWithError(failure.c_str());
      return;
    }
  const std::vector<int>& sockets = team.sockets();
  std::uint64_t step = 0;
  for (auto _ : state) {
    ++step;
    bool ok = true;
    for (std::uint64_t w = 0; w < workers && ok; ++w) {
      const task_message task{step, w, w + 1, 0};
      ok = send_exactly(sockets[w], &task, sizeof task);
    }
    std::uint64_t total = 0;
    for (std::uint64_t w = 0; w < workers && ok; ++w) {
      result_message result{};
      ok = read_exactly(sockets[w], &result, sizeof result) == 1 && result.step == step && result.worker == w;
      total += result.accumulator;
    }
    if (!ok) {
      state.SkipWithError("a child did not answer its task");
      break;
    }
    if (total != step * step_sum(workers)) {
      state.SkipWithError("a step's combined sum was wrong");
      break;
    }
  }
  if (!team.stop() && !state.error_occurred()) state.SkipWithError("a child did not exit cleanly");
}

#if defined(PARBENCH_HAVE_MPI)
// MPI_Allreduce of one uint64 per step, in this process as a job of one rank (MPI starts on first
// use, as a singleton, outside the timed loop). Under a launcher with several ranks each rank would
// run its own benchmark loop with its own iteration count, so that is refused.
void mpi_allreduce(benchmark::State& state) {
  int ranks = 0;
  try {
    ranks = parbench::mpi::environment::get().size();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (ranks != 1) {
    state.SkipWithError("sync/mpi_allreduce needs a job of one rank: start parbench_kernel_bench without mpirun");
    return;
  }
  std::uint64_t mine = 0;
  for (auto _ : state) {
    mine += 1;
    std::uint64_t total = 0;
    if (MPI_Allreduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) {
      state.SkipWithError("MPI_Allreduce failed");
      break;
    }
    if (total != mine) {
      state.SkipWithError("a step's MPI_Allreduce sum was wrong");
      break;
    }
  }
}
#endif

}  // namespace

void register_sync_mechanisms() {
  const auto per_worker_count = [](benchmark::internal::Benchmark* b) {
    b->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
#if defined(_OPENMP)
  per_worker_count(benchmark::RegisterBenchmark("sync/openmp_barrier_reduction", openmp_barrier_reduction));
  benchmark::RegisterBenchmark("sync/openmp_barrier_reduction_after_delay", openmp_barrier_reduction_after_delay)
      ->Arg(1)
      ->Arg(2)
      ->UseManualTime()
      ->Iterations(50)
      ->Unit(benchmark::kMicrosecond);
#endif
  per_worker_count(benchmark::RegisterBenchmark("sync/std_barrier", std_barrier));
  per_worker_count(benchmark::RegisterBenchmark("sync/pipe_round_trip", pipe_round_trip));
#if defined(PARBENCH_HAVE_MPI)
  benchmark::RegisterBenchmark("sync/mpi_allreduce", mpi_allreduce)
      ->Arg(1)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
#endif
}

}  // namespace parbench::bench
