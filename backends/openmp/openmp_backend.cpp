// OpenMP: a parallel loop over chunks, one accumulator per thread combined after the region
// (exact, whatever the order), under the schedule chosen: static, dynamic or guided, each
// with an optional chunk size. A stepped job runs every step inside one parallel region: a
// worksharing loop per step, whose implicit barrier ends the step, then one thread combines
// the step's results and derives the next key (`single`, with its own implicit barrier).

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench::backends {
namespace {

// What one thread leaves behind; each on its own cache lines, as threads write them concurrently.
struct alignas(64) thread_state {
  result_words acc;
  bool ran = false;
  std::exception_ptr error;
};

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
    a.schedules = {
        {"static", "schedule(static): one contiguous block per thread; static:N deals N-chunk blocks round-robin", true,
         true},
        {"dynamic", "schedule(dynamic, N): idle threads take the next N chunks (default 1)", true, false},
        {"guided", "schedule(guided, N): shrinking blocks, at least N chunks (default 1)", true, false},
    };
    a.honours_subranges = true;
    a.nestable = true;
    return a;
  }

  run_result run(const run_request& request) override {
    const schedule_option option = resolve_schedule(name(), abilities(), request.schedule);
    // Exactly W threads: no dynamic adjustment of the team size. A chunk size of 0 is the
    // runtime's default: a block split for static, 1 for dynamic and guided.
    omp_set_dynamic(0);
    omp_set_schedule(kind_of(option.name), static_cast<int>(request.schedule.grain));
    const kernel_job& job = *request.job;
    const chunk_range range = requested_chunks(request);
    const auto first = static_cast<long long>(range.first), last = static_cast<long long>(range.last);
    std::vector<thread_state> state(request.workers);
    for (auto& s : state) s.acc = identity(job.layout());
    const int threads = static_cast<int>(request.workers);
    const std::uint32_t steps = job.step_count();
    std::uint64_t key = job.first_key();
    const result_words zero = identity(job.layout());
    result_words step_result = zero;
    std::exception_ptr step_error;
    int team = 0;
#pragma omp parallel num_threads(threads)
    {
#pragma omp single
      team = omp_get_num_threads();
      thread_state& s = state[static_cast<std::size_t>(omp_get_thread_num())];
      for (std::uint32_t step = 0; step < steps; ++step) {
#pragma omp for schedule(runtime)
        for (long long c = first; c < last; ++c) {
          // No exception may leave the region: the first one is kept and the rest skipped.
          if (s.error || step_error) continue;
          try {
            job.accumulate_step(key, {static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(c) + 1}, s.acc);
            s.ran = true;
          } catch (...) {
            s.error = std::current_exception();
          }
        }
#pragma omp single
        {
          try {
            // No allocation between steps: reset the accumulators in place.
            std::copy(zero.begin(), zero.end(), step_result.begin());
            for (auto& t : state) {
              if (t.error && !step_error) step_error = t.error;
              combine(job.layout(), step_result, t.acc);
              std::copy(zero.begin(), zero.end(), t.acc.begin());
            }
            if (step + 1 < steps && !step_error) key = job.next_key(key, step_result);
          } catch (...) {
            if (!step_error) step_error = std::current_exception();
          }
        }
      }
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
    omp_set_dynamic(0);
    const int threads = static_cast<int>(workers);
    int team = 0;
#pragma omp parallel num_threads(threads)
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
