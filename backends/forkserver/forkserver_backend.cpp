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
    return "workers forked by a small server started early in main, results through pipes; static split or a task "
           "queue";
  }
  std::string_view mechanism() const noexcept override { return "forkserver request"; }
  backend_abilities abilities() const override {
    backend_abilities a = process::process_abilities();
    a.style = backend_style{"#e377c2", "*"};
    return a;
  }

  run_result run(const run_request& request) override {
    const process::process_plan plan = process::plan_for(request, name());
    (void)compute(*request.job, {plan.chunks.first, plan.chunks.first});  // a bad PARBENCH_ISA: usage error here
    return finish(plan);
  }

  void start_empty(unsigned workers) override { (void)finish(process::empty_plan(workers)); }

 private:
  static run_result finish(const process::process_plan& plan) {
    return process::to_run_result(plan, process::run_on_forkserver(plan));
  }
};

}  // namespace

std::unique_ptr<backend> make_forkserver() { return std::make_unique<forkserver_backend>(); }

}  // namespace parbench::backends
