// std::thread: exactly W threads. Schedules: a static block split (worker w runs block w),
// or a shared atomic chunk counter from which each worker takes N chunks at a time. A stepped
// job keeps its W threads for every step and meets at a std::barrier after each, whose
// completion combines the step's results and derives the next step's key.

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/partition.hpp"

namespace parbench::backends {
namespace {

// Starts one thread per body, joins all of them even when a start fails. `gated`: no body
// starts before every thread exists, and none starts when one could not be created (bodies
// that meet at a barrier would otherwise wait for ever for the missing one).
template <typename Body>
void run_threads(unsigned workers, Body body, bool gated = false) {
  enum : int { wait = 0, go = 1, cancel = 2 };
  std::atomic<int> gate{gated ? wait : go};
  const auto gated_body = [&](unsigned w) {
    gate.wait(wait);
    if (gate.load() == go) body(w);
  };
  std::vector<std::thread> threads;
  threads.reserve(workers);
  try {
    for (unsigned w = 0; w < workers; ++w) threads.emplace_back(gated_body, w);
  } catch (const std::system_error& e) {
    gate.store(cancel);
    gate.notify_all();
    for (auto& t : threads) t.join();
    throw run_error(
        worker_start_failure("threads", static_cast<unsigned>(threads.size()), workers, e.code().message()));
  }
  gate.store(go);
  gate.notify_all();
  for (auto& t : threads) t.join();
}

// What one worker leaves behind; each on its own cache lines, as workers write them concurrently.
struct alignas(64) worker_state {
  result_words acc;
  bool ran = false;
  std::exception_ptr error;
};

class threads_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "threads"; }
  std::string_view description() const noexcept override {
    return "std::thread, exactly W threads: static block split or a shared atomic chunk counter";
  }
  std::string_view mechanism() const noexcept override { return "std::thread create + join"; }
  backend_abilities abilities() const override {
    backend_abilities a;
    a.style = backend_style{"#1f77b4", "s"};
    a.schedules = {
        {"static", "worker w of W runs the w-th contiguous block of chunks", false, true},
        {"dynamic", "a shared atomic counter: each idle worker takes the next N chunks (default 1)", true, false},
    };
    a.honours_subranges = true;
    a.nestable = true;
    a.pins_workers = true;
    return a;
  }

  run_result run(const run_request& request) override {
    const schedule_option option = resolve_schedule(name(), abilities(), request.schedule);
    const kernel_job& job = *request.job;
    const chunk_range all = requested_chunks(request);
    const std::uint64_t chunks = all.last - all.first;
    const unsigned workers = request.workers;
    const bool dynamic = option.name != "static";
    const std::uint64_t grain = request.schedule.grain == 0 ? 1 : request.schedule.grain;
    std::vector<worker_state> state(workers);
    for (auto& s : state) s.acc = identity(job.layout());

    // Shared by the workers; changed only by the barrier's completion, between steps.
    std::uint64_t key = job.first_key();
    const result_words zero = identity(job.layout());
    result_words step_result = zero;
    std::atomic<std::uint64_t> next{0};
    std::exception_ptr step_error;
    std::uint32_t step = 0;
    const std::uint32_t steps = job.step_count();
    // Runs on one thread once every worker has arrived: combine, then prepare the next step.
    const auto complete = [&]() noexcept {
      try {
        // No allocation between steps: reset the accumulators in place.
        std::copy(zero.begin(), zero.end(), step_result.begin());
        for (auto& s : state) {
          if (s.error && !step_error) step_error = s.error;
          combine(job.layout(), step_result, s.acc);
          std::copy(zero.begin(), zero.end(), s.acc.begin());
        }
        if (request.combine_step && !step_error) request.combine_step(step_result);
        if (++step < steps && !step_error) key = job.next_key(key, step_result);
        next.store(0, std::memory_order_relaxed);
      } catch (...) {
        if (!step_error) step_error = std::current_exception();
      }
    };
    std::barrier sync(static_cast<std::ptrdiff_t>(workers), complete);

    const auto one_step = [&](worker_state& s, unsigned w) {
      const auto run_range = [&](std::uint64_t first, std::uint64_t last) {
        job.accumulate_step(key, {all.first + first, all.first + last}, s.acc);
        s.ran = true;
      };
      if (!dynamic) {
        const chunk_range r = partition(chunks, workers, w);
        if (!r.empty()) run_range(r.first, r.last);
        return;
      }
      for (;;) {
        const std::uint64_t first = next.fetch_add(grain, std::memory_order_relaxed);
        if (first >= chunks) break;
        run_range(first, std::min(chunks, first + grain));
      }
    };
    run_threads(
        workers,
        [&](unsigned w) {
          worker_state& s = state[w];
          try {
            pin_worker(name(), request.pinning.get(), w);
          } catch (...) {
            s.error = std::current_exception();
          }
          for (std::uint32_t i = 0; i < steps; ++i) {
            // A worker that failed still arrives at every barrier, or the others would wait for ever.
            if (!s.error && !step_error) {
              try {
                one_step(s, w);
              } catch (...) {
                s.error = std::current_exception();
              }
            }
            if (steps > 1) sync.arrive_and_wait();
          }
        },
        steps > 1);
    if (steps == 1) complete();  // one step needs no barrier: combine once every thread is joined

    if (step_error) std::rethrow_exception(step_error);
    run_result result;
    result.result = std::move(step_result);
    result.workers_started = workers;
    for (const auto& s : state)
      if (s.ran) ++result.workers_used;
    return result;
  }

  void start_empty(unsigned workers) override {
    run_threads(workers, [](unsigned) {});
  }
};

}  // namespace

std::unique_ptr<backend> make_threads() { return std::make_unique<threads_backend>(); }

}  // namespace parbench::backends
