// The reference: every chunk on the calling thread.

#include <memory>

#include "core/backend.hpp"

namespace parbench::backends {
namespace {

class serial_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "serial"; }
  std::string_view description() const noexcept override { return "one thread, no parallelism (the reference)"; }
  std::string_view mechanism() const noexcept override { return "function call"; }
  backend_abilities abilities() const override {
    backend_abilities a;
    a.style = backend_style{"#4d4d4d", "o"};
    a.schedules = {{"static", "every chunk in order on the calling thread", false, true}};
    a.nestable = true;
    a.exact_workers = false;  // always the calling thread alone
    a.pins_workers = true;    // the calling thread, as worker 0, for the run
    return a;
  }
  run_result run(const run_request& request) override {
    (void)resolve_schedule(name(), abilities(), request.schedule);
    const kernel_job& job = *request.job;
    const chunk_range range = requested_chunks(request);
    const thread_affinity_guard calling_thread;
    pin_worker(name(), request.pinning.get(), 0);
    result_words result = run_steps(
        job,
        [&](std::uint64_t key) {
          result_words acc = identity(job.layout());
          if (!range.empty()) job.accumulate_step(key, range, acc);
          return acc;
        },
        request.combine_step);
    return {std::move(result), 1, 1, 0.0};
  }
  void start_empty(unsigned /*workers*/) override {}
};

}  // namespace

std::unique_ptr<backend> make_serial() { return std::make_unique<serial_backend>(); }

}  // namespace parbench::backends
