#pragma once
// Thread libraries that end the process when they cannot start a thread: libgomp exits with 1,
// oneTBB aborts from one of its own threads, where nothing can catch it. A backend on such a
// library first starts the threads a run may need itself, all alive at once, so that a limit
// (ulimit -u, ulimit -v) is a run_error it reports (exit 3, the row recorded as failed) instead.

#include <cstddef>
#include <string_view>

namespace parbench {

/// Starts one thread for each of the workers [first, workers) of `backend`, all alive at once,
/// with the library's stack size (`stack_bytes`; 0: the default, `ulimit -s`), then joins them.
/// Throws run_error (worker_start_failure: the backend, the worker that could not start, the
/// worker count and the limits) when one cannot start.
void probe_thread_start(std::string_view backend, unsigned first, unsigned workers, std::size_t stack_bytes = 0);

}  // namespace parbench
