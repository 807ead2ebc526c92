#pragma once
// Runs W worker processes and collects their results: the part the fork, spawn and forkserver
// backends share. Only how a worker is started differs (the launcher).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "backends/process/worker.hpp"
#include "core/backend.hpp"
#include "core/partition.hpp"
#include "kernels/montecarlo/sampler.hpp"

namespace parbench::process {

/// Starts the worker for `a`, which must write its result to `result_fd` (the write end of a
/// close-on-exec pipe) and exit; returns its pid. Throws run_error when the system refuses.
using launcher = std::function<pid_t(const assignment& a, int result_fd)>;

struct process_plan {
  kernels::pi_job job;
  chunk_range chunks;  ///< the chunks to split among the workers, a sub-range of the job's
  unsigned workers = 1;
  std::chrono::milliseconds timeout{0};  ///< 0 = wait for ever
  fault_spec fault;
  bool empty = false;  ///< start_empty: every worker sends a zero result at once
};

struct process_outcome {
  std::uint64_t hits = 0;
  unsigned workers_used = 0;  ///< workers that had at least one chunk
  double cpu_seconds = 0.0;   ///< user + system time of the reaped workers
};

/// The plan that runs `request`, with the test-only fault hook (PARBENCH_FAULT) of `backend`.
inline process_plan plan_for(const run_request& request, std::string_view backend) {
  process_plan plan;
  plan.job = request.job;
  plan.chunks = requested_chunks(request);
  plan.workers = request.workers;
  plan.timeout = request.timeout;
  plan.fault = fault_from_env(backend);
  return plan;
}

/// The plan of start_empty(workers): every worker answers at once.
inline process_plan empty_plan(unsigned workers) {
  process_plan plan;
  plan.workers = workers;
  plan.empty = true;
  return plan;
}

/// The backend's result for `plan` once its workers have answered.
inline run_result to_run_result(const process_plan& plan, const process_outcome& o) {
  return {o.hits, plan.workers, o.workers_used, o.cpu_seconds};
}

/// Starts `plan.workers` workers (worker w gets block w of plan.chunks), reads every result
/// and reaps every worker. Blocking. On any failure (a worker that dies, exits non-zero, sends
/// a short or garbled result, or exceeds the timeout; a worker that cannot be started) every
/// other worker is killed and reaped and run_error names the worker and the cause.
process_outcome run_process_workers(std::string_view backend, const process_plan& plan, const launcher& launch);

/// The fork() launcher: the child binds itself to this process (PR_SET_PDEATHSIG), runs the
/// worker and _exits. Callers flush stdio first.
pid_t fork_worker(const assignment& a, int result_fd);

}  // namespace parbench::process
