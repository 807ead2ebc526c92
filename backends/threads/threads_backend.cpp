// std::thread: exactly W threads. Schedules: a static block split (worker w runs block w),
// or a shared atomic chunk counter from which each worker takes N chunks at a time.

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
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

// Starts one thread per body, joins all of them even when a start fails.
template <typename Body>
void run_threads(unsigned workers, Body body) {
  std::vector<std::thread> threads;
  threads.reserve(workers);
  try {
    for (unsigned w = 0; w < workers; ++w) threads.emplace_back(body, w);
  } catch (const std::system_error& e) {
    for (auto& t : threads) t.join();
    throw run_error(fmt::format("threads: could not start worker {} of {}: {}", threads.size(), workers, e.what()));
  }
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
    a.schedules = {
        {"static", "worker w of W runs the w-th contiguous block of chunks", false, true},
        {"dynamic", "a shared atomic counter: each idle worker takes the next N chunks (default 1)", true, false},
    };
    a.honours_subranges = true;
    a.nestable = true;
    return a;
  }

  run_result run(const run_request& request) override {
    const schedule_option option = resolve_schedule(name(), abilities(), request.schedule);
    const kernel_job& job = *request.job;
    const chunk_range all = requested_chunks(request);
    const std::uint64_t chunks = all.last - all.first;
    const unsigned workers = request.workers;
    std::vector<worker_state> state(workers);
    for (auto& s : state) s.acc = identity(job.layout());

    const auto run_range = [&](worker_state& s, std::uint64_t first, std::uint64_t last) {
      job.accumulate({all.first + first, all.first + last}, s.acc);
      s.ran = true;
    };
    if (option.name == "static") {
      run_threads(workers, [&](unsigned w) {
        worker_state& s = state[w];
        try {
          const chunk_range r = partition(chunks, workers, w);
          if (!r.empty()) run_range(s, r.first, r.last);
        } catch (...) {
          s.error = std::current_exception();
        }
      });
    } else {
      const std::uint64_t grain = request.schedule.grain == 0 ? 1 : request.schedule.grain;
      std::atomic<std::uint64_t> next{0};
      run_threads(workers, [&](unsigned w) {
        worker_state& s = state[w];
        try {
          for (;;) {
            const std::uint64_t first = next.fetch_add(grain, std::memory_order_relaxed);
            if (first >= chunks) break;
            run_range(s, first, std::min(chunks, first + grain));
          }
        } catch (...) {
          s.error = std::current_exception();
        }
      });
    }

    run_result result;
    result.result = identity(job.layout());
    result.workers_started = workers;
    for (const auto& s : state) {
      if (s.error) std::rethrow_exception(s.error);
      combine(job.layout(), result.result, s.acc);
      if (s.ran) ++result.workers_used;
    }
    return result;
  }

  void start_empty(unsigned workers) override {
    run_threads(workers, [](unsigned) {});
  }
};

}  // namespace

std::unique_ptr<backend> make_threads() { return std::make_unique<threads_backend>(); }

}  // namespace parbench::backends
