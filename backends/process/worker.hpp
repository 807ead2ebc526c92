#pragma once
// What a worker process does, shared by the fork, spawn and forkserver backends: compute the
// exact partial result of the chunks it is given and send it, framed by the job codec
// (core/job_codec.hpp), through its result pipe.
// - once (the static split of a one-step job): one block of chunks, one result message, then _exit;
// - tasks (a dynamic schedule, or a stepped job under any schedule): tasks (a range of chunks
//   and the step's key) arrive one at a time on a second channel from the parent; the worker
//   answers each with one result message and waits for the next, until the parent's end
//   marker (or end of file) tells it to exit. A stepped job thus keeps its workers for every
//   step: one round trip per task, no process start per step.
// docs/process-backends.md describes the messages.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/kernel.hpp"
#include "core/partition.hpp"

namespace parbench::process {

/// Test-only misbehaviour a worker can be told to show (PARBENCH_FAULT, docs/process-backends.md).
enum class fault_mode : std::uint32_t {
  none = 0,
  crash,    ///< dies by SIGSEGV before sending
  hang,     ///< never answers (use a timeout)
  short_,   ///< sends half of its (first) result, then exits 0
  garbage,  ///< sends a full-size (first) result with a wrong magic number
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

/// PARBENCH_FAULT as a whole, checked before anything runs or prints: throws usage_error when it
/// is malformed or names a backend without the hook (only fork, spawn and forkserver have it).
void check_fault_env();

/// One worker's share of a run.
struct assignment {
  /// The job; null for start_empty (the worker then answers with a result of no words).
  std::shared_ptr<const kernel_job> job;
  /// once: the chunks to compute; tasks: the chunks its tasks may name.
  chunk_range range;
  unsigned worker = 0;
  fault_mode fault = fault_mode::none;
  bool takes_tasks = false;  ///< reads tasks from the parent instead of computing `range` once
  /// The CPU the worker pins itself to before any work (run_request::pinning); -1 = not pinned.
  int cpu = -1;
  /// The start barrier: the read end of a pipe from which the worker takes one byte before any
  /// work; the parent writes one per worker once every worker has started (-1: none).
  int start_fd = -1;
};

/// The job of `a` as one message for a worker that must rebuild it (spawn's argv):
/// codec::encode_job of its spec and `a.range`; an empty spec (no kernel) when `a.job` is null.
std::string encode_assignment_job(const assignment& a);

/// A worker's answer for one range of chunks.
struct worker_result {
  unsigned worker = 0;
  chunk_range range;
  result_words words;
};

/// The result message (magic codec::result_magic): worker index, chunk range, result words.
/// `magic` is a parameter only so that the garbage fault can send a wrong one.
std::string encode_result(const worker_result& r, std::uint32_t magic);
/// Throws codec::codec_error for anything but a valid result message.
worker_result decode_result(std::string_view message);
/// Bytes of a result message with `words` result words.
std::size_t result_message_size(std::size_t words) noexcept;

/// What a task asks for: the chunks, under the key of the step they belong to.
struct task {
  chunk_range range;
  std::uint64_t key = 0;
};

/// A task message, or (nullopt) the end marker.
std::string encode_task(const std::optional<task>& t);
/// Throws codec::codec_error for anything but a valid task message.
std::optional<task> decode_task(std::string_view message);

/// Exit statuses of a worker that could not do its job (documented).
inline constexpr int worker_status_bad_task = 65;
inline constexpr int worker_status_kernel_failed = 70;
inline constexpr int worker_status_pin_failed = 71;
inline constexpr int worker_status_write_failed = 74;

/// Runs `a` in this (worker) process: writes its results to `result_fd` (and, when
/// `a.takes_tasks`, reads its tasks from `task_fd`), then ends the process with _exit: no atexit
/// handlers, no stdio flush, no destructors.
[[noreturn]] void run_worker(const assignment& a, int result_fd, int task_fd) noexcept;

/// Called first in a forked worker: die with the parent (PR_SET_PDEATHSIG), or now if the
/// parent `parent` is already gone.
void bind_to_parent(pid_t parent) noexcept;

}  // namespace parbench::process
