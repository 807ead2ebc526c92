#pragma once
// posix_spawn of the parbench executable itself in its hidden worker mode
// (`parbench __worker ...`): clean processes with no inherited thread pools or address space.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "backends/process/worker.hpp"

namespace parbench::process {

/// The first argument that selects the hidden worker mode.
inline constexpr const char* worker_mode_argument = "__worker";

/// The executable spawned as a worker: $PARBENCH_WORKER_EXE if set, else /proc/self/exe when
/// this process is parbench (its main ran `early_main`); nullopt when neither holds (for
/// example in a unit-test binary without PARBENCH_WORKER_EXE).
std::optional<std::string> worker_executable();

/// The spawn launcher: starts `exe __worker <job> <worker> <fault> <once|tasks> <parent pid> <memory fd>
/// <start fd>` (the fds: 3 and 4, or -1 for none)
/// (<job>: the job and its chunk range as one codec message in hex, encode_assignment_job) with
/// its stdout on `result_fd` and, when it takes tasks, its stdin on `task_fd`. Throws run_error when
/// posix_spawn fails.
pid_t spawn_worker(const std::string& exe, const assignment& a, int result_fd, int task_fd);

/// The argv of a spawned worker for `a` (after the executable and worker_mode_argument).
std::vector<std::string> worker_arguments(const assignment& a, pid_t parent);

/// The hidden worker mode: decodes the assignment from argv (argv[1] == "__worker"), rebuilds
/// the job with make_job, runs it with the results on stdout (tasks on stdin) and never returns
/// on success; returns 2 for malformed arguments or a job that does not bind.
int worker_main(int argc, char** argv);

/// Marks this process as parbench (able to serve as its own spawn worker).
void mark_worker_capable() noexcept;

}  // namespace parbench::process
