// oneTBB: parallel_reduce over chunks inside a task_arena limited to W threads.

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "core/backend.hpp"

namespace parbench::backends {
namespace {

class tbb_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "tbb"; }
  std::string_view description() const noexcept override {
    return "oneTBB parallel_reduce in a task_arena of W threads (work stealing)";
  }
  std::string_view mechanism() const noexcept override { return "TBB arena dispatch"; }

  run_result run(const run_request& request) override {
    const int workers = static_cast<int>(request.workers);
    const auto limit = raise_limit(request.workers);
    oneapi::tbb::task_arena& arena = arena_for(request.workers);
    const chunk_range chunks = requested_chunks(request);
    std::vector<std::atomic<char>> ran(request.workers);
    std::uint64_t hits = arena.execute([&] {
      return oneapi::tbb::parallel_reduce(
          oneapi::tbb::blocked_range<std::uint64_t>(chunks.first, chunks.last, 1), std::uint64_t{0},
          [&](const oneapi::tbb::blocked_range<std::uint64_t>& r, std::uint64_t acc) {
            const int slot = oneapi::tbb::this_task_arena::current_thread_index();
            if (slot >= 0 && slot < workers) ran[static_cast<std::size_t>(slot)].store(1, std::memory_order_relaxed);
            return acc + kernels::count_hits(request.job, r.begin(), r.end());
          },
          [](std::uint64_t a, std::uint64_t b) { return a + b; });
    });
    run_result result;
    result.hits = hits;
    result.workers_started = static_cast<unsigned>(arena.max_concurrency());
    for (const auto& r : ran) result.workers_used += r.load() != 0 ? 1u : 0u;
    return result;
  }

  void start_empty(unsigned workers) override {
    const auto limit = raise_limit(workers);
    arena_for(workers).execute([&] {
      oneapi::tbb::parallel_for(0u, workers, [](unsigned) {}, oneapi::tbb::static_partitioner{});
    });
  }

 private:
  // TBB caps its pool at the core count; for W above it, raise the process-wide limit for
  // the length of the call so that W threads can really join (and TBB does not warn).
  static std::optional<oneapi::tbb::global_control> raise_limit(unsigned workers) {
    std::optional<oneapi::tbb::global_control> limit;
    if (workers > oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism))
      limit.emplace(oneapi::tbb::global_control::max_allowed_parallelism, workers);
    return limit;
  }

  // One arena of W slots (the calling thread takes one of them), kept across calls with
  // the same W as a real program keeps its pool: a run measures dispatch, not arena set-up.
  oneapi::tbb::task_arena& arena_for(unsigned workers) {
    if (!arena_ || static_cast<unsigned>(arena_->max_concurrency()) != workers) {
      arena_.emplace(static_cast<int>(workers));
      arena_->initialize();
    }
    return *arena_;
  }

  std::optional<oneapi::tbb::task_arena> arena_;
};

}  // namespace

std::unique_ptr<backend> make_tbb() { return std::make_unique<tbb_backend>(); }

}  // namespace parbench::backends
