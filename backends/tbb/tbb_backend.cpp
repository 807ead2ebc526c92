// oneTBB: parallel_reduce over chunks inside a task_arena limited to W threads, under the
// partitioner the schedule names (auto, simple with a grain size, static); a stepped job runs
// one parallel_reduce per step.

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "backends/tbb/tbb_workers.hpp"
#include "core/backend.hpp"

namespace parbench::backends {
namespace {

class tbb_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "tbb"; }
  std::string_view description() const noexcept override {
    return "oneTBB parallel_reduce in a task_arena of W threads (work stealing), partitioner auto, simple or static";
  }
  std::string_view mechanism() const noexcept override { return "TBB arena dispatch"; }
  backend_abilities abilities() const override {
    backend_abilities a;
    a.style = backend_style{"#2ca02c", "D"};
    a.schedules = {
        {"auto", "auto_partitioner: TBB splits further where work is stolen (grain 1 chunk)", false, false},
        {"simple", "simple_partitioner: splits down to N chunks per task (default 1)", true, false},
        // Not a fixed split: the blocks are equal, but a block mailed to a thread that has not
        // joined the arena yet is run by another one.
        {"static", "static_partitioner: one equal block per arena slot, no further splitting", false, false},
    };
    a.honours_subranges = true;
    a.nestable = true;
    a.pins_workers = true;
    return a;
  }

  run_result run(const run_request& request) override {
    const schedule_option option = resolve_schedule(name(), abilities(), request.schedule);
    const int workers = static_cast<int>(request.workers);
    detail::ensure_tbb_threads_can_start(name(), request.workers);
    const auto limit = detail::raise_tbb_limit(request.workers);
    oneapi::tbb::task_arena& arena = arenas_.arena_for(request.workers);
    const kernel_job& job = *request.job;
    const chunk_range chunks = requested_chunks(request);
    const std::uint64_t grain = option.name == "simple" && request.schedule.grain != 0 ? request.schedule.grain : 1;
    const oneapi::tbb::blocked_range<std::uint64_t> range(chunks.first, chunks.last, grain);
    std::vector<std::atomic<char>> ran(request.workers);
    const auto join = [&](result_words a, const result_words& b) {
      combine(job.layout(), a, b);
      return a;
    };
    const result_words zero = identity(job.layout());
    run_result result;
    const thread_affinity_guard calling_thread;  // slot 0 is this thread: never left pinned
    result.result = arena.execute([&] {
      return run_steps(
          job,
          [&](std::uint64_t key) {
            const auto body = [&](const oneapi::tbb::blocked_range<std::uint64_t>& r, result_words acc) {
              detail::pin_arena_slot(name(), request.pinning.get());
              const int slot = oneapi::tbb::this_task_arena::current_thread_index();
              if (slot >= 0 && slot < workers) ran[static_cast<std::size_t>(slot)].store(1, std::memory_order_relaxed);
              job.accumulate_step(key, {r.begin(), r.end()}, acc);
              return acc;
            };
            if (option.name == "simple")
              return oneapi::tbb::parallel_reduce(range, zero, body, join, oneapi::tbb::simple_partitioner{});
            if (option.name == "static")
              return oneapi::tbb::parallel_reduce(range, zero, body, join, oneapi::tbb::static_partitioner{});
            return oneapi::tbb::parallel_reduce(range, zero, body, join, oneapi::tbb::auto_partitioner{});
          },
          request.combine_step);
    });
    result.workers_started = static_cast<unsigned>(arena.max_concurrency());
    for (const auto& r : ran) result.workers_used += r.load() != 0 ? 1u : 0u;
    return result;
  }

  void start_empty(unsigned workers) override {
    detail::ensure_tbb_threads_can_start(name(), workers);
    const auto limit = detail::raise_tbb_limit(workers);
    const thread_affinity_guard calling_thread;
    arenas_.arena_for(workers).execute([&] {
      // An earlier pinned run's threads get the process's CPU set back (nothing otherwise).
      oneapi::tbb::parallel_for(
          0u, workers, [&](unsigned) { detail::pin_arena_slot(name(), nullptr); }, oneapi::tbb::static_partitioner{});
    });
  }

 private:
  detail::arena_cache arenas_;
};

}  // namespace

std::unique_ptr<backend> make_tbb() { return std::make_unique<tbb_backend>(); }

}  // namespace parbench::backends
