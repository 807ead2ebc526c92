#pragma once
// What a worker process does, shared by the fork, spawn and forkserver backends: count the hits
// of its block of chunks and send one fixed-size result message through a pipe, then _exit.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernels/montecarlo/sampler.hpp"

namespace parbench::process {

/// Test-only misbehaviour a worker can be told to show (PARBENCH_FAULT, docs/process-backends.md).
enum class fault_mode : std::uint32_t {
  none = 0,
  crash,    ///< dies by SIGSEGV before sending
  hang,     ///< never answers (use a timeout)
  short_,   ///< sends half of its result, then exits 0
  garbage,  ///< sends a full-size result with a wrong magic number
  exit,     ///< exits with status `fault_exit_status` before sending
  start,    ///< the parent fails to start this worker, as if fork/posix_spawn said EAGAIN
};

inline constexpr int fault_exit_status = 42;

/// Parses "none", "crash", "hang", "short", "garbage", "exit", "start"; nullopt otherwise.
std::optional<fault_mode> parse_fault_mode(std::string_view text) noexcept;
std::string_view to_string(fault_mode mode) noexcept;

/// PARBENCH_FAULT=<backend>:<worker>:<mode>, parsed for one backend.
struct fault_spec {
  unsigned worker = 0;
  fault_mode mode = fault_mode::none;
};

/// The fault PARBENCH_FAULT sets for `backend`, or none; throws usage_error when malformed.
fault_spec fault_from_env(std::string_view backend);

/// One worker's share of a run.
struct assignment {
  kernels::pi_job job;
  std::uint64_t first_chunk = 0;
  std::uint64_t last_chunk = 0;  ///< one past the end; == first_chunk for an empty start
  unsigned worker = 0;
  fault_mode fault = fault_mode::none;
};

/// The one message a worker sends: exactly this many bytes, then end of file.
struct result_message {
  std::uint32_t magic = 0;
  std::uint32_t worker = 0;
  std::uint64_t hits = 0;
};
inline constexpr std::uint32_t result_magic = 0x31524250;  // "PBR1"

/// Exit statuses of a worker that could not do its job (documented).
inline constexpr int worker_status_kernel_failed = 70;
inline constexpr int worker_status_write_failed = 74;

/// Runs `a` in this (worker) process, writes the result to `result_fd` and ends the process
/// with _exit: no atexit handlers, no stdio flush, no destructors.
[[noreturn]] void run_worker(const assignment& a, int result_fd) noexcept;

/// Called first in a forked worker: die with the parent (PR_SET_PDEATHSIG), or now if the
/// parent `parent` is already gone.
void bind_to_parent(pid_t parent) noexcept;

}  // namespace parbench::process
