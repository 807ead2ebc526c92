// oneTBB: parallel_reduce over chunks inside a task_arena limited to W threads.

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
    return "oneTBB parallel_reduce in a task_arena of W threads (work stealing)";
  }
  std::string_view mechanism() const noexcept override { return "TBB arena dispatch"; }

  run_result run(const run_request& request) override {
    const int workers = static_cast<int>(request.workers);
    const auto limit = detail::raise_tbb_limit(request.workers);
    oneapi::tbb::task_arena& arena = arenas_.arena_for(request.workers);
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
    const auto limit = detail::raise_tbb_limit(workers);
    arenas_.arena_for(workers).execute([&] {
      oneapi::tbb::parallel_for(0u, workers, [](unsigned) {}, oneapi::tbb::static_partitioner{});
    });
  }

 private:
  detail::arena_cache arenas_;
};

}  // namespace

std::unique_ptr<backend> make_tbb() { return std::make_unique<tbb_backend>(); }

}  // namespace parbench::backends
