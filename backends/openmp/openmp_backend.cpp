// OpenMP: a parallel loop over chunks, one accumulator per thread combined after the region
// (exact, whatever the order), under the schedule chosen: static, dynamic or guided, each
// with an optional chunk size. A stepped job runs every step inside one parallel region: a
// worksharing loop per step, whose implicit barrier ends the step, then one thread combines
// the step's results and derives the next key (`single`, with its own implicit barrier).

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <span>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/thread_start.hpp"

namespace parbench::backends {
namespace {

// Storage on cache lines of its own (64-byte aligned, whole lines): a thread's accumulators are
// written by it while the others read theirs, and a stepped job does that once per step, so two
// of them on one line would move that line between cores every step.
template <typename T>
struct cache_line_allocator {
  using value_type = T;
  static constexpr std::size_t line = 64;
  cache_line_allocator() = default;
  template <typename U>
  explicit cache_line_allocator(const cache_line_allocator<U>& /*other*/) noexcept {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = (n * sizeof(T) + line - 1) / line * line;
    return static_cast<T*>(::operator new (bytes, std::align_val_t{line}));
  }
  void deallocate(T* p, std::size_t /*n*/) noexcept { ::operator delete (p, std::align_val_t{line}); }
  friend bool operator==(const cache_line_allocator&, const cache_line_allocator&) = default;
};
using padded_words = std::vector<std::uint64_t, cache_line_allocator<std::uint64_t>>;

// libgomp ends the process (exit 1, "libgomp: Thread creation failed") when it cannot start a
// thread of a team. So the threads a team needs beyond those libgomp keeps from the largest team
// so far are first started here with std::thread (the same default attributes; libgomp sets only
// a stack size, from OMP_STACKSIZE), and one that cannot start is a run_error naming the limits.
void ensure_team_can_start(unsigned workers) {
  static std::atomic<unsigned> kept{1};  // the calling thread, then the pool libgomp keeps
  const unsigned have = kept.load();
  if (workers <= have) return;
  probe_thread_start("openmp", have, workers);
  kept.store(workers);
}

// What one thread leaves behind; each on its own cache lines, as threads write them concurrently.
struct alignas(64) thread_state {
  padded_words acc;
  padded_words next;  // a stepped job's second buffer (odd steps)
  bool ran = false;
  std::atomic<bool> failed{false};  // read by the other threads between steps
  std::exception_ptr error;         // read after the region only
};

// Chunk `c` of the step under `key` into `into`; an exception is kept in `s`, never thrown out
// of the parallel region.
void run_chunk(const kernel_job& job, std::uint64_t key, long long c, thread_state& s,
               std::span<std::uint64_t> into) noexcept {
  try {
    job.accumulate_step(key, {static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(c) + 1}, into);
    if (!s.ran) s.ran = true;  // written once: the other threads read this line every step
  } catch (...) {
    s.error = std::current_exception();
    s.failed.store(true, std::memory_order_release);
  }
}

// Each thread of the team pins itself at the start of a region: libgomp reads OMP_PLACES and
// OMP_PROC_BIND once, at start-up, so they cannot follow a plan that changes between
// configurations; a thread the plan does not pin gets the process's CPU set back when an
// earlier run pinned it (and keeps what OMP_PLACES gave it otherwise).
void pin_team_thread(const pin_plan* plan, int me, thread_state& s) noexcept {
  try {
    pin_worker("openmp", plan, static_cast<unsigned>(me));
  } catch (...) {
    s.error = std::current_exception();
    s.failed.store(true, std::memory_order_release);
  }
}

omp_sched_t kind_of(const std::string& name) {
  if (name == "dynamic") return omp_sched_dynamic;
  if (name == "guided") return omp_sched_guided;
  return omp_sched_static;
}

class openmp_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "openmp"; }
  std::string_view description() const noexcept override {
    return "OpenMP parallel for over chunks, schedule static, dynamic or guided (with chunk size)";
  }
  std::string_view mechanism() const noexcept override { return "OpenMP parallel region"; }
  backend_abilities abilities() const override {
    backend_abilities a;
    a.style = backend_style{"#d62728", "^"};
    a.schedules = {
        {"static", "schedule(static): one contiguous block per thread; static:N deals N-chunk blocks round-robin", true,
         true},
        {"dynamic", "schedule(dynamic, N): idle threads take the next N chunks (default 1)", true, false},
        {"guided", "schedule(guided, N): shrinking blocks, at least N chunks (default 1)", true, false},
    };
    a.honours_subranges = true;
    a.nestable = true;
    a.pins_workers = true;
    return a;
  }

  run_result run(const run_request& request) override {
    const schedule_option option = resolve_schedule(name(), abilities(), request.schedule);
    ensure_team_can_start(request.workers);
    // Exactly W threads: no dynamic adjustment of the team size. A chunk size of 0 is the
    // runtime's default: a block split for static, 1 for dynamic and guided.
    omp_set_dynamic(0);
    omp_set_schedule(kind_of(option.name), static_cast<int>(request.schedule.grain));
    const kernel_job& job = *request.job;
    const chunk_range range = requested_chunks(request);
    const auto first = static_cast<long long>(range.first), last = static_cast<long long>(range.last);
    std::vector<thread_state> state(request.workers);
    const result_words zero = identity(job.layout());
    for (auto& s : state) {
      s.acc.assign(zero.begin(), zero.end());
      s.next.assign(zero.begin(), zero.end());
    }
    const int threads = static_cast<int>(request.workers);
    const std::uint32_t steps = job.step_count();
    std::uint64_t key = job.first_key();
    result_words step_result = zero;
    std::exception_ptr step_error;
    int team = 0;
    const thread_affinity_guard calling_thread;  // thread 0 of the team: never left pinned
    if (request.combine_step) {
      // A nesting backend completes each step across its processes: one thread makes that call
      // (`single`), between the step's loop and the next.
#pragma omp parallel num_threads(threads)
      {
#pragma omp single
        team = omp_get_num_threads();
        thread_state& s = state[static_cast<std::size_t>(omp_get_thread_num())];
        pin_team_thread(request.pinning.get(), omp_get_thread_num(), s);
        for (std::uint32_t step = 0; step < steps; ++step) {
#pragma omp for schedule(runtime)
          for (long long c = first; c < last; ++c) {
            // No exception may leave the region: the first one is kept and the rest skipped.
            if (s.failed.load(std::memory_order_relaxed) || step_error) continue;
            run_chunk(job, key, c, s, s.acc);
          }
#pragma omp single
          {
            try {
              std::copy(zero.begin(), zero.end(), step_result.begin());
              for (auto& t : state) {
                if (t.error && !step_error) step_error = t.error;
                combine(job.layout(), step_result, t.acc);
                std::copy(zero.begin(), zero.end(), t.acc.begin());
              }
              if (!step_error) request.combine_step(step_result);
              if (step + 1 < steps && !step_error) key = job.next_key(key, step_result);
            } catch (...) {
              if (!step_error) step_error = std::current_exception();
            }
          }
        }
      }
    } else {
      // One barrier per step: the worksharing loop's own. Step s accumulates into buffer s % 2;
      // after the barrier every thread combines that buffer of every thread and derives the next
      // key itself (the same on every thread: exact). The buffer is reused two steps later,
      // after another barrier, so no thread can still be reading it.
      const bool inline_static = option.name == "static";
      const auto grain = static_cast<long long>(request.schedule.grain);
#pragma omp parallel num_threads(threads)
      {
#pragma omp single nowait
        team = omp_get_num_threads();
        const int me = omp_get_thread_num();
        thread_state& s = state[static_cast<std::size_t>(me)];
        pin_team_thread(request.pinning.get(), me, s);
        std::uint64_t my_key = key;
        padded_words total(zero.begin(), zero.end());  // this thread's copy of the step's total
        bool stop = false;
        for (std::uint32_t step = 0; step < steps; ++step) {
          padded_words& mine = step % 2 == 0 ? s.acc : s.next;
          std::copy(zero.begin(), zero.end(), mine.begin());
          const auto one = [&](long long c) {
            if (!stop && !s.failed.load(std::memory_order_relaxed)) run_chunk(job, my_key, c, s, mine);
          };
          // A static schedule written out, so that the compiler computes each thread's block
          // itself: through schedule(runtime) libgomp sets up a work share per loop, which
          // the threads wait on every step. The branches differ only in the schedule clause.
          // NOLINTBEGIN(bugprone-branch-clone)
          if (inline_static && grain == 0) {
#pragma omp for schedule(static)
            for (long long c = first; c < last; ++c) one(c);
          } else if (inline_static) {
#pragma omp for schedule(static, grain)
            for (long long c = first; c < last; ++c) one(c);
          } else {
#pragma omp for schedule(runtime)
            for (long long c = first; c < last; ++c) one(c);
          }
          // NOLINTEND(bugprone-branch-clone)
          std::copy(zero.begin(), zero.end(), total.begin());
          for (auto& t : state) {
            stop = stop || t.failed.load(std::memory_order_acquire);
            combine(job.layout(), total, step % 2 == 0 ? t.acc : t.next);
          }
          if (step + 1 < steps && !stop) {
            try {
              my_key = job.next_key(my_key, total);
            } catch (...) {
              s.error = std::current_exception();
              s.failed.store(true, std::memory_order_release);
              stop = true;
            }
          }
        }
        if (me == 0) step_result.assign(total.begin(), total.end());
      }
      for (const auto& t : state)
        if (t.error && !step_error) step_error = t.error;
    }
    if (step_error) std::rethrow_exception(step_error);
    run_result result;
    result.result = std::move(step_result);
    result.workers_started = static_cast<unsigned>(team);
    for (const auto& s : state)
      if (s.ran) ++result.workers_used;
    return result;
  }

  void start_empty(unsigned workers) override {
    ensure_team_can_start(workers);
    omp_set_dynamic(0);
    const int threads = static_cast<int>(workers);
    int team = 0;
    const thread_affinity_guard calling_thread;
#pragma omp parallel num_threads(threads)
    {
#pragma omp single nowait
      team = omp_get_num_threads();
      pin_worker("openmp", nullptr, static_cast<unsigned>(omp_get_thread_num()));  // undo an earlier run's pin
    }
    if (team != static_cast<int>(workers))
      throw run_error(fmt::format("openmp: asked for {} threads, the runtime gave {}", workers, team));
  }
};

}  // namespace

std::unique_ptr<backend> make_openmp() { return std::make_unique<openmp_backend>(); }

}  // namespace parbench::backends
