#pragma once
// The one interface between the harness and the parallelism models.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/partition.hpp"
#include "kernels/pi.hpp"

namespace parbench {

/// What to run: a kernel job and how many OS-level workers to use.
struct run_request {
  kernels::pi_job job;
  /// Exactly this many OS-level workers (threads or processes); 1..max_workers.
  unsigned workers = 1;
  /// Loop schedule where the model has one ("static", "dynamic"); empty = backend default.
  std::string schedule;
  /// Process backends kill a worker that has not answered after this long; 0 = no limit.
  std::chrono::milliseconds timeout{0};
  /// Only these chunks, a sub-range of [0, job.chunk_count()); empty = every chunk.
  /// Lets a backend that nests another (mpi) hand it one share of the job.
  std::optional<chunk_range> chunks{};
  /// The model a nesting backend (mpi) runs inside each of its processes; empty = its default.
  std::string inner{};
};

/// The chunks `request` asks for: `request.chunks`, or every chunk of the job.
[[nodiscard]] constexpr chunk_range requested_chunks(const run_request& request) noexcept {
  return request.chunks ? *request.chunks : chunk_range{0, request.job.chunk_count()};
}

/// What a run returns: plain data, no I/O, no timing (the harness times).
struct run_result {
  std::uint64_t hits = 0;
  /// Workers the backend started (== request.workers unless the model decides, e.g. stdpar).
  unsigned workers_started = 0;
  /// Distinct OS threads/processes that ran at least one chunk.
  unsigned workers_used = 0;
  /// User + system CPU seconds of child processes reaped during the run (process backends).
  double children_cpu_seconds = 0.0;
};

/// Whether a compiled-in backend can run on this machine right now (GPU present, ...).
struct availability {
  bool usable = true;
  std::string reason;
};

/// Upper bound on --workers for every backend (documented in the README).
inline constexpr unsigned max_workers = 1024;

/// A parallelism model. Contract for implementations:
/// - `run` and `start_empty` are blocking: every worker has finished (threads joined,
///   children reaped) when they return, also when they throw.
/// - No I/O on stdout/stderr; failures are reported by throwing `run_error` with a message
///   that names the worker and the cause.
/// - The hit count is the exact sum of `kernels::count_hits` over all chunks, whatever
///   the split, so every backend returns the serial answer.
/// - One instance is used from one thread at a time.
class backend {
 public:
  virtual ~backend() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  [[nodiscard]] virtual std::string_view description() const noexcept = 0;
  /// Start-up mechanism measured by `parbench overhead` (e.g. "fork + pipe + waitpid").
  [[nodiscard]] virtual std::string_view mechanism() const noexcept = 0;
  [[nodiscard]] virtual availability probe() const { return {}; }
  virtual run_result run(const run_request& request) = 0;
  /// Start `workers` workers that do no work and collect their empty results.
  virtual void start_empty(unsigned workers) = 0;

  /// Facts about the device or runtime for report metadata (GPU name, driver, ...), as
  /// (key, value) pairs; empty for backends with nothing beyond the machine description.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> metadata() const { return {}; }
  /// A one-time start-up cost paid before any worker can start (e.g. creating a CUDA
  /// context), which `parbench overhead` times as a mechanism of its own; empty = none.
  [[nodiscard]] virtual std::string_view setup_mechanism() const noexcept { return {}; }
  /// Pays that cost once more (blocking); called only when setup_mechanism() is not empty.
  virtual void setup() {}
};

}  // namespace parbench
