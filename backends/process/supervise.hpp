#pragma once
// Runs W worker processes and collects their results: the part the fork, spawn and forkserver
// backends share. Only how a worker is started differs (the launcher).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "backends/process/worker.hpp"
#include "core/backend.hpp"
#include "core/kernel.hpp"
#include "core/partition.hpp"

namespace parbench::process {

/// Starts the worker for `a`, which must write its results to `result_fd` (the write end of a
/// close-on-exec pipe) and, when `a.dynamic`, read its tasks from `task_fd` (the worker's end
/// of a close-on-exec socketpair; -1 when static); returns its pid. Throws run_error when the
/// system refuses.
using launcher = std::function<pid_t(const assignment& a, int result_fd, int task_fd)>;

struct process_plan {
  std::shared_ptr<const kernel_job> job;  ///< null for start_empty: every worker answers at once
  chunk_range chunks;                     ///< the chunks to share among the workers
  unsigned workers = 1;
  std::chrono::milliseconds timeout{0};  ///< 0 = wait for ever
  fault_spec fault;
  bool dynamic = false;     ///< a task queue instead of the static block split
  std::uint64_t grain = 1;  ///< dynamic: chunks per task
  std::vector<int> cpus;    ///< worker w pins itself to cpus[w]; empty = not pinned
};

struct process_outcome {
  result_words result;        ///< combined over every worker (the job's layout; empty without a job)
  unsigned workers_used = 0;  ///< workers that computed at least one chunk
  double cpu_seconds = 0.0;   ///< user + system time of the reaped workers
};

/// The schedules of the process backends, default first: "static" and "dynamic[:N]".
std::vector<schedule_option> process_schedules();

/// The abilities the three process backends share.
backend_abilities process_abilities();

/// The plan that runs `request` (its schedule resolved against process_abilities(); a bad one
/// is a usage_error), with the test-only fault hook (PARBENCH_FAULT) of `backend`.
process_plan plan_for(const run_request& request, std::string_view backend);

/// The plan of start_empty(workers): every worker answers at once.
process_plan empty_plan(unsigned workers);

/// The backend's result for `plan` once its workers have answered.
inline run_result to_run_result(const process_plan& plan, process_outcome o) {
  return {std::move(o.result), plan.workers, o.workers_used, o.cpu_seconds};
}

/// Starts `plan.workers` workers and collects their results; reaps every worker. Blocking.
/// static: worker w gets block w of plan.chunks and sends one result. dynamic: the parent keeps
/// a queue of tasks of plan.grain chunks and hands the next one to whichever worker answered.
/// On any failure (a worker that dies, exits non-zero, sends a short or garbled result, or
/// exceeds the timeout; a worker that cannot be started) every other worker is killed and
/// reaped and run_error names the worker and the cause.
process_outcome run_process_workers(std::string_view backend, const process_plan& plan, const launcher& launch);

/// The fork() launcher: the child binds itself to this process (PR_SET_PDEATHSIG), runs the
/// worker and _exits. Callers flush stdio first.
pid_t fork_worker(const assignment& a, int result_fd, int task_fd);

}  // namespace parbench::process
