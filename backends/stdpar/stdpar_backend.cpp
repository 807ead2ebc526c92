// C++17 parallel algorithms: std::transform_reduce(std::execution::par) over the requested
// chunks (a sub-range when the request names one); the library decides the split. A stepped
// job runs one transform_reduce per step.
// libstdc++ runs it on oneTBB, in the task arena of the calling thread; we call it inside an
// arena of W slots, which is what bounds the threads it uses. Where W exceeds TBB's
// process-wide thread limit (the core count by default), the limit is raised to W for the
// call, or the arena would get fewer threads than it has slots.

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <execution>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <vector>

#include "backends/tbb/tbb_workers.hpp"
#include "core/backend.hpp"
#include "core/partition.hpp"

namespace parbench::backends {
namespace {

// Tasks are indices in a vector: libstdc++ runs std::views::iota ranges sequentially
// (their iterators are only input iterators in C++17 terms), so no counting view.
// Most tasks handed to the algorithm. At practical sizes each task is one chunk; the
// cap only keeps the index vector small at absurd sample counts.
constexpr std::uint64_t max_tasks = std::uint64_t{1} << 16;

// Distinct threads that ran a task: each run gets a fresh generation number and a
// thread counts itself the first time it sees a new one.
std::atomic<std::uint64_t> next_generation{1};
thread_local std::uint64_t seen_generation = 0;

class thread_counter {
 public:
  thread_counter() : generation_(next_generation.fetch_add(1, std::memory_order_relaxed)) {}
  void mark() noexcept {
    if (seen_generation != generation_) {
      seen_generation = generation_;
      count_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  [[nodiscard]] unsigned count() const noexcept { return count_.load(); }

 private:
  std::uint64_t generation_;
  std::atomic<unsigned> count_{0};
};

class stdpar_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "stdpar"; }
  std::string_view description() const noexcept override {
    return "std::transform_reduce(std::execution::par) over chunks (libstdc++ on oneTBB, arena of W)";
  }
  std::string_view mechanism() const noexcept override { return "std::execution::par dispatch"; }

  backend_abilities abilities() const override {
    backend_abilities a;
    a.style = backend_style{"#9467bd", "v"};
    a.schedules = {{"par", "std::execution::par: the library splits the chunks among its threads", false, false}};
    a.honours_subranges = true;
    a.nestable = false;
    a.exact_workers = false;
    a.pins_workers = true;  // arena slot w runs on the plan's CPU w
    return a;
  }

  run_result run(const run_request& request) override {
    (void)resolve_schedule(name(), abilities(), request.schedule);
    const kernel_job& job = *request.job;
    const chunk_range all = requested_chunks(request);
    const std::uint64_t chunks = all.last - all.first;
    const auto tasks = static_cast<unsigned>(std::min(chunks, max_tasks));
    if (indices_.size() < tasks) {
      indices_.resize(tasks);
      std::iota(indices_.begin(), indices_.end(), 0u);
    }
    detail::ensure_tbb_threads_can_start(name(), request.workers);
    const auto limit = detail::raise_tbb_limit(request.workers);
    auto& arena = arenas_.arena_for(request.workers);
    thread_counter used;
    std::mutex pin_error_mutex;
    std::exception_ptr pin_error;
    run_result result;
    const thread_affinity_guard calling_thread;  // slot 0 is this thread: never left pinned
    result.result = arena.execute([&] {
      return run_steps(job, [&](std::uint64_t key) {
        return std::transform_reduce(
            std::execution::par, indices_.begin(), indices_.begin() + tasks, identity(job.layout()),
            [&](result_words a, const result_words& b) {
              combine(job.layout(), a, b);
              return a;
            },
            [&](unsigned task) {
              // An exception out of a parallel algorithm's function ends the process
              // (std::terminate): a failed pin is kept and rethrown after the call.
              try {
                detail::pin_arena_slot(name(), request.pinning.get());
              } catch (...) {
                const std::lock_guard lock(pin_error_mutex);
                if (!pin_error) pin_error = std::current_exception();
                return identity(job.layout());
              }
              used.mark();
              const chunk_range r = partition(chunks, tasks, task);
              result_words acc = identity(job.layout());
              job.accumulate_step(key, {all.first + r.first, all.first + r.last}, acc);
              return acc;
            });
      });
    });
    if (pin_error) std::rethrow_exception(pin_error);
    result.workers_started = static_cast<unsigned>(arena.max_concurrency());
    result.workers_used = used.count();
    return result;
  }

  void start_empty(unsigned workers) override {
    detail::ensure_tbb_threads_can_start(name(), workers);
    const auto limit = detail::raise_tbb_limit(workers);
    auto& arena = arenas_.arena_for(workers);
    // libstdc++ does not split ranges shorter than 3 elements: with 4 per worker the range
    // is split into pieces for W workers, as a real call's would be.
    std::vector<unsigned> empty(4 * std::size_t{workers}, 1u);
    const thread_affinity_guard calling_thread;
    [[maybe_unused]] const unsigned n = arena.execute([&] {
      return std::transform_reduce(std::execution::par, empty.begin(), empty.end(), 0u, std::plus<>{}, [&](unsigned x) {
        detail::pin_arena_slot(name(), nullptr);  // undo an earlier run's pin
        return x;
      });
    });
  }

 private:
  // The arena persists across runs with the same W. No extra warm-up call here: measured
  // on the 2-core build machine, an untimed parallel call right after creating the arena
  // made the next short run use fewer threads, not more (idle workers leave the arena and
  // must be woken again). The harness's untimed warm-up repetition absorbs TBB's lazy
  // thread creation.
  detail::arena_cache arenas_;
  std::vector<unsigned> indices_;
};

}  // namespace

std::unique_ptr<backend> make_stdpar() { return std::make_unique<stdpar_backend>(); }

}  // namespace parbench::backends
