// posix_spawn: W fresh parbench processes in the hidden worker mode (`parbench __worker ...`),
// the job on the command line (one codec message in hex), tasks (dynamic) on stdin, results
// through a pipe on stdout (backends/process/).

#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "backends/process/spawn.hpp"
#include "backends/process/supervise.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench::backends {
namespace {

class spawn_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "spawn"; }
  std::string_view description() const noexcept override {
    return "posix_spawn of parbench itself in a worker mode, results through pipes; static split or a task queue";
  }
  std::string_view mechanism() const noexcept override { return "posix_spawn + pipe"; }
  backend_abilities abilities() const override {
    backend_abilities a = process::process_abilities();
    a.style = backend_style{"#8c564b", "X"};
    return a;
  }

  availability probe() const override {
    const auto exe = process::worker_executable();
    if (!exe) return {false, "this process is not parbench; set PARBENCH_WORKER_EXE to the parbench binary"};
    if (::access(exe->c_str(), X_OK) != 0)
      return {false, fmt::format("worker executable '{}' is not executable (PARBENCH_WORKER_EXE)", *exe)};
    return {};
  }

  run_result run(const run_request& request) override {
    const process::process_plan plan = process::plan_for(request, name());
    (void)compute(*request.job, {plan.chunks.first, plan.chunks.first});  // a bad PARBENCH_ISA: usage error here
    return finish(plan);
  }

  void start_empty(unsigned workers) override { (void)finish(process::empty_plan(workers)); }

 private:
  run_result finish(const process::process_plan& plan) const {
    const auto exe = process::worker_executable();
    if (!exe) throw run_error(fmt::format("spawn: unavailable: {}", probe().reason));
    return process::to_run_result(
        plan,
        process::run_process_workers("spawn", plan, [&](const process::assignment& a, int result_fd, int task_fd) {
          return process::spawn_worker(*exe, a, result_fd, task_fd);
        }));
  }
};

}  // namespace

std::unique_ptr<backend> make_spawn() { return std::make_unique<spawn_backend>(); }

}  // namespace parbench::backends
