#pragma once
// How the oneTBB-based backends (tbb, stdpar) get exactly W threads: an arena of W
// slots kept across calls, and TBB's process-wide limit raised when W exceeds it.

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <optional>
#include <string_view>

#include "core/affinity.hpp"
#include "core/thread_start.hpp"

namespace parbench::backends::detail {

/// TBB caps its pool at the core count. For W above the current limit, raise it for the
/// lifetime of the returned object (the call); never lower it: lowering would cost every run
/// a change of TBB's thread pool, the arena bounds the run anyway, and a limit held beyond
/// the call would bind other TBB users in the process.
inline std::optional<oneapi::tbb::global_control> raise_tbb_limit(unsigned workers) {
  std::optional<oneapi::tbb::global_control> limit;
  if (workers > oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism))
    limit.emplace(oneapi::tbb::global_control::max_allowed_parallelism, workers);
  return limit;
}

/// oneTBB aborts the process when it cannot create a worker thread ("pthread_create has
/// failed", from a thread of its own: nothing can catch it). So the first time tbb or stdpar
/// runs with more workers than ever before in this process, the W - 1 threads TBB may create
/// are started here first (probe_thread_start), and a limit is a run_error naming the backend.
/// Conservative: the threads TBB keeps from earlier runs still count while the probe runs.
inline void ensure_tbb_threads_can_start(std::string_view backend, unsigned workers) {
  static std::atomic<unsigned> probed{1};  // shared by tbb and stdpar: one TBB runtime
  if (workers <= probed.load()) return;
  namespace tbb = oneapi::tbb;
  probe_thread_start(backend, 1, workers, tbb::global_control::active_value(tbb::global_control::thread_stack_size));
  unsigned seen = probed.load();
  while (seen < workers && !probed.compare_exchange_weak(seen, workers)) {
  }
}

/// Pins the calling thread as the worker of its arena slot (the slots are 0..W-1, one thread
/// each at a time). Called in every task: a thread that keeps its slot and CPU pays a
/// thread-local compare; one that joins, changes slot or carries an earlier run's pin is moved.
inline void pin_arena_slot(std::string_view backend, const pin_plan* plan) {
  const int slot = oneapi::tbb::this_task_arena::current_thread_index();
  if (slot >= 0) pin_worker(backend, plan, static_cast<unsigned>(slot));
}

/// One arena of W slots (the calling thread takes one), kept across calls with the same W
/// as a real program keeps its pool, so a run measures dispatch, not arena set-up.
class arena_cache {
 public:
  oneapi::tbb::task_arena& arena_for(unsigned workers) {
    if (!arena_ || static_cast<unsigned>(arena_->max_concurrency()) != workers) {
      arena_.emplace(static_cast<int>(workers));
      arena_->initialize();
    }
    return *arena_;
  }

 private:
  std::optional<oneapi::tbb::task_arena> arena_;
};

}  // namespace parbench::backends::detail
