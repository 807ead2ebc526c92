// fork(): W child processes that compute their chunks (a static block each, or tasks from the
// parent's queue) and send their partial results through pipes; the parent combines every
// result and reaps every child (backends/process/).

#include <cstdio>
#include <memory>

#include "backends/process/supervise.hpp"
#include "core/backend.hpp"

namespace parbench::backends {
namespace {

class fork_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "fork"; }
  std::string_view description() const noexcept override {
    return "fork(): W child processes, results through pipes; static split or a task queue";
  }
  std::string_view mechanism() const noexcept override { return "fork + pipe + waitpid"; }
  backend_abilities abilities() const override {
    backend_abilities a = process::process_abilities();
    a.style = backend_style{"#ff7f0e", "P"};
    return a;
  }

  run_result run(const run_request& request) override {
    const process::process_plan plan = process::plan_for(request, name());
    // Touch the kernel once here (an empty range), so that a lazily failing setup such as a bad
    // PARBENCH_ISA is a usage error in the parent rather than a failure in every child.
    (void)compute(*request.job, {plan.chunks.first, plan.chunks.first});
    return finish(plan);
  }

  void start_empty(unsigned workers) override { (void)finish(process::empty_plan(workers)); }

 private:
  static run_result finish(const process::process_plan& plan) {
    // Buffered output would otherwise be written once more by every child that flushed it.
    std::fflush(nullptr);
    return process::to_run_result(plan, process::run_process_workers("fork", plan, &process::fork_worker));
  }
};

}  // namespace

std::unique_ptr<backend> make_fork() { return std::make_unique<fork_backend>(); }

}  // namespace parbench::backends
