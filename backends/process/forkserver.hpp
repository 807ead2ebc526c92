#pragma once
// The forkserver: a small single-threaded process, forked from parbench at the top of main()
// before any thread pool exists, that forks workers on request. The harness sends one request
// per run (the plan, its job as a spec, in a job-codec frame) over a SOCK_SEQPACKET socketpair;
// the server rebuilds the job with make_job, runs the workers exactly as the fork backend does
// (run_process_workers with fork_worker) and replies with the outcome or the error text. The server dies with its
// parent (PR_SET_PDEATHSIG) and exits at end of file on its socket, so it never outlives parbench.

#include <sys/types.h>

#include "backends/process/supervise.hpp"

namespace parbench::process {

/// Starts the server if it is not running. Call it before any thread pool exists (parbench's
/// main does, through early_main). Throws run_error when socketpair or fork fails.
void start_forkserver();

/// Runs `plan` on the server and returns its outcome; throws run_error naming the failed worker
/// (or the server) otherwise. Starts the server lazily when main did not (unit-test binaries):
/// the lazily started server is a copy of the caller at that moment, see
/// docs/process-backends.md. Serialised: one request at a time per process.
process_outcome run_on_forkserver(const process_plan& plan);

/// The server's pid, or -1 when none is running (tests exclude it when counting children).
pid_t forkserver_pid() noexcept;

/// Closes the socket and reaps the server (it exits at end of file). Registered with atexit by
/// start_forkserver; safe to call more than once.
void stop_forkserver() noexcept;

}  // namespace parbench::process
