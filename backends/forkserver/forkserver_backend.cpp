// forkserver: workers forked by a small server process that parbench starts before any thread
// pool exists; one request per run over a socketpair (backends/process/forkserver.hpp).

#include <memory>

#include "backends/process/forkserver.hpp"
#include "core/backend.hpp"

namespace parbench::backends {
namespace {

class forkserver_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "forkserver"; }
  std::string_view description() const noexcept override {
    return "workers forked by a small server started early in main, results through pipes";
  }
  std::string_view mechanism() const noexcept override { return "forkserver request"; }

  run_result run(const run_request& request) override {
    process::process_plan plan;
    plan.job = request.job;
    plan.chunks = requested_chunks(request);
    plan.workers = request.workers;
    plan.timeout = request.timeout;
    plan.fault = process::fault_from_env(name());
    (void)kernels::count_hits(request.job, 0, 0);  // a bad PARBENCH_ISA is a usage error here
    return finish(plan);
  }

  void start_empty(unsigned workers) override {
    process::process_plan plan;
    plan.workers = workers;
    plan.empty = true;
    finish(plan);
  }

 private:
  static run_result finish(const process::process_plan& plan) {
    const process::process_outcome o = process::run_on_forkserver(plan);
    return {o.hits, plan.workers, o.workers_used, o.cpu_seconds};
  }
};

}  // namespace

std::unique_ptr<backend> make_forkserver() { return std::make_unique<forkserver_backend>(); }

}  // namespace parbench::backends
