// OpenMP: a parallel loop over chunks with a reduction; schedule static or dynamic.

#include <fmt/format.h>
#include <omp.h>

#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench::backends {
namespace {

class openmp_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "openmp"; }
  std::string_view description() const noexcept override {
    return "OpenMP parallel for + reduction, schedule static (default) or dynamic";
  }
  std::string_view mechanism() const noexcept override { return "OpenMP parallel region"; }

  run_result run(const run_request& request) override {
    if (!request.schedule.empty() && request.schedule != "static" && request.schedule != "dynamic")
      throw usage_error(fmt::format("openmp: unknown schedule '{}'; choose static or dynamic", request.schedule));
    // Exactly W threads: no dynamic adjustment of the team size.
    omp_set_dynamic(0);
    omp_set_schedule(request.schedule == "dynamic" ? omp_sched_dynamic : omp_sched_static, 0);
    const chunk_range range = requested_chunks(request);
    const auto first = static_cast<long long>(range.first), last = static_cast<long long>(range.last);
    const auto& job = request.job;
    std::vector<char> ran(request.workers, 0);
    std::uint64_t hits = 0;
    int team = 0;
#pragma omp parallel num_threads(static_cast<int>(request.workers)) reduction(+ : hits)
    {
#pragma omp single
      team = omp_get_num_threads();
      const int me = omp_get_thread_num();
#pragma omp for schedule(runtime)
      for (long long c = first; c < last; ++c) {
        hits += kernels::count_hits(job, static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(c) + 1);
        ran[static_cast<std::size_t>(me)] = 1;
      }
    }
    run_result result;
    result.hits = hits;
    result.workers_started = static_cast<unsigned>(team);
    for (char r : ran) result.workers_used += r != 0 ? 1u : 0u;
    return result;
  }

  void start_empty(unsigned workers) override {
    omp_set_dynamic(0);
    int team = 0;
#pragma omp parallel num_threads(static_cast<int>(workers))
    {
#pragma omp single nowait
      team = omp_get_num_threads();
    }
    if (team != static_cast<int>(workers))
      throw run_error(fmt::format("openmp: asked for {} threads, the runtime gave {}", workers, team));
  }
};

}  // namespace

std::unique_ptr<backend> make_openmp() { return std::make_unique<openmp_backend>(); }

}  // namespace parbench::backends
