// fork(): W child processes, each counts its block of chunks and sends the count through a
// pipe; the parent reads every result and reaps every child (backends/process/).

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
    return "fork(): W child processes, results through pipes, static block split";
  }
  std::string_view mechanism() const noexcept override { return "fork + pipe + waitpid"; }

  run_result run(const run_request& request) override {
    const process::process_plan plan = process::plan_for(request, name());
    // Resolve the kernel's instruction-set path here, so that a bad PARBENCH_ISA is a usage
    // error in the parent rather than a failure in every child.
    (void)kernels::count_hits(request.job, 0, 0);
    return finish(plan);
  }

  void start_empty(unsigned workers) override {
    finish(process::empty_plan(workers));
  }

 private:
  static run_result finish(const process::process_plan& plan) {
    // Buffered output would otherwise be written once more by every child that flushed it.
    std::fflush(nullptr);
    const process::process_outcome o = process::run_process_workers("fork", plan, &process::fork_worker);
    return process::to_run_result(plan, o);
  }
};

}  // namespace

std::unique_ptr<backend> make_fork() { return std::make_unique<fork_backend>(); }

}  // namespace parbench::backends
