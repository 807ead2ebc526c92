#pragma once
// The one interface between the harness and the parallelism models. A backend runs any
// kernel (core/kernel.hpp): it decides only who runs which chunk.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/affinity.hpp"
#include "core/kernel.hpp"
#include "core/partition.hpp"

namespace parbench {

/// A schedule a backend offers: how its workers share the chunks.
struct schedule_option {
  std::string name;         ///< e.g. "static", "dynamic", "guided", "simple"
  std::string description;  ///< one line for `list` and `--help`
  /// Whether it takes a chunk count (`name:N`: chunks handed out at a time, or grain size).
  bool takes_grain = false;
  /// Whether who runs which chunk is fixed by W alone (a static block split).
  bool fixed_split = false;
};

/// A chosen schedule: `name` from the backend's options, `grain` 0 = the model's default.
struct schedule {
  std::string name;
  std::uint64_t grain = 0;
  friend bool operator==(const schedule&, const schedule&) = default;
};

/// "dynamic" or "dynamic:4".
[[nodiscard]] std::string to_string(const schedule& s);

/// How plots and reports draw a backend: the same colour and marker in every plot and report.
struct backend_style {
  std::string colour;  ///< "#rrggbb"
  std::string marker;  ///< a matplotlib marker: "o", "s", "^", ...
  friend bool operator==(const backend_style&, const backend_style&) = default;
};

/// What a backend can do, declared by the backend itself: tests, `list`, the console and
/// nesting backends read it from here, never from lists of names.
struct backend_abilities {
  /// Its schedules, default first; at least one.
  std::vector<schedule_option> schedules;
  /// Runs exactly `run_request::chunks` when given (needed to run inside a nesting backend).
  bool honours_subranges = true;
  /// Can run inside one process of a nesting backend (mpi's --inner).
  bool nestable = false;
  /// Kernels it can run (device code exists for them); empty = every kernel.
  std::vector<std::string> kernels;
  /// Whether W is fixed by the backend (exactly W workers) or decided by the model.
  bool exact_workers = true;
  /// A nesting backend whose schedule is its inner model's (run_request::inner): `schedules`
  /// then lists the default inner model's, and a request with another inner model is checked
  /// against that model's abilities.
  bool schedules_of_inner = false;
  /// Its colour and marker in plots; empty = fallback_style(name) (core/backend_style.hpp).
  std::optional<backend_style> style;
  /// Pins its workers as run_request::pinning says (core/affinity.hpp); a backend that does not
  /// is refused a pinned configuration with a usage_error naming what to do instead.
  bool pins_workers = false;
};

/// What to run: a kernel job and how many OS-level workers to use.
struct run_request {
  std::shared_ptr<const kernel_job> job;
  /// Exactly this many OS-level workers (threads or processes); 1..max_workers.
  unsigned workers = 1;
  /// How the workers share the chunks; an empty name = the backend's default (first) schedule.
  parbench::schedule schedule;
  /// Process backends kill a worker that has not answered after this long; 0 = no limit.
  std::chrono::milliseconds timeout{0};
  /// Only these chunks, a sub-range of [0, job->chunk_count()); empty = every chunk.
  /// Lets a backend that nests another (mpi) hand it one share of the job.
  std::optional<chunk_range> chunks{};
  /// The model a nesting backend (mpi) runs inside each of its processes; empty = its default.
  std::string inner{};
  /// Set by a nesting backend for a stepped job: called once per step, on one thread, with the
  /// step's combined result of `chunks`, before the next key is derived. Nestable backends call
  /// it wherever their model combines a step; it may throw run_error (the run then ends).
  step_combiner combine_step{};
  /// Which CPU each worker runs on; null = not pinned (the OS decides). Only for backends
  /// whose abilities say pins_workers.
  std::shared_ptr<const pin_plan> pinning{};
};

/// The chunks `request` asks for: `request.chunks`, or every chunk of the job.
[[nodiscard]] inline chunk_range requested_chunks(const run_request& request) noexcept {
  return request.chunks ? *request.chunks : chunk_range{0, request.job->chunk_count()};
}

/// What a run returns: plain data, no I/O, no timing (the harness times).
struct run_result {
  /// The combined partial results of every requested chunk (the job's layout).
  result_words result;
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
///   that names the worker and the cause; a schedule it does not offer is a usage_error.
/// - The result is the exact combination of the job's partial results over the requested
///   chunks, whatever the split and schedule, so every backend returns the serial answer.
/// - One instance is used from one thread at a time.
class backend {
 public:
  virtual ~backend() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  [[nodiscard]] virtual std::string_view description() const noexcept = 0;
  /// Start-up mechanism measured by `parbench overhead` (e.g. "fork + pipe + waitpid").
  [[nodiscard]] virtual std::string_view mechanism() const noexcept = 0;
  [[nodiscard]] virtual backend_abilities abilities() const = 0;
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

/// For a job with memory (kernel_job::phase_job): gives its pages back and runs its set-up
/// pass through `b` with the request's workers and schedule, so that first touch happens in
/// the workers that then run it. Returns false, doing nothing, for jobs without memory. Throws
/// as run() does, and run_error when the set-up pass fails its check.
bool run_setup(backend& b, const run_request& request);

/// For a job with memory: its verification pass through `b` (every element of its arrays, in
/// the memory the backend's workers used), as the job's check of it; nullopt for jobs without.
std::optional<check_outcome> run_verify(backend& b, const run_request& request);

/// The limits that decide whether another worker can start: "processes and threads 20
/// (ulimit -u), address space 292 MiB (ulimit -v), stack 8 MiB per thread (ulimit -s)".
[[nodiscard]] std::string worker_limits();

/// The run_error (exit 3) for a worker that could not be started: names the backend, the
/// worker, the worker count, the reason and worker_limits().
[[nodiscard]] std::string worker_start_failure(std::string_view backend, unsigned worker, unsigned workers,
                                               std::string_view reason);

/// Whether `abilities` lets the backend run kernel `kernel`.
[[nodiscard]] bool supports_kernel(const backend_abilities& abilities, std::string_view kernel);

/// Parses "name" or "name:N" against the backend's schedules; empty text = its default.
/// Throws usage_error naming the backend and its valid schedules.
[[nodiscard]] parbench::schedule parse_schedule(const backend& b, std::string_view text);

/// `s` resolved against the backend's options: an empty name becomes the default; throws
/// usage_error for a schedule the backend does not offer. Backends call it first in run().
/// Returns a copy: `abilities` is often a temporary.
[[nodiscard]] schedule_option resolve_schedule(std::string_view backend_name, const backend_abilities& abilities,
                                               const schedule& s);

}  // namespace parbench
