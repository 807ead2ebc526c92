#pragma once
// The one interface between the harness, the backends and the workloads. A kernel cuts a job
// into a fixed number of chunks (never derived from the worker count), computes the exact
// partial result of any range of chunks, and says how partial results combine. Backends only
// decide who runs which chunk; nothing here knows a particular kernel or backend.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/partition.hpp"

namespace parbench {

/// How two values of one word of a result combine: associative, commutative and exact, so
/// the combined result cannot depend on the split of work or the order of combination.
enum class combine_op : std::uint8_t {
  sum,  ///< wrap-around addition modulo 2^64
  min,
  max,
};

/// One word of a kernel's result: a name for reports and its combination.
struct result_word {
  std::string name;
  combine_op op = combine_op::sum;
};

/// One typed parameter a kernel accepts (`--param name=value`).
struct kernel_param {
  enum class type { integer, choice };
  std::string name;
  std::string description;
  type kind = type::choice;
  std::string default_value;
  std::vector<std::string> choices;  ///< type::choice: the valid values
  std::uint64_t min = 0;             ///< type::integer: inclusive range
  std::uint64_t max = UINT64_MAX;
};

/// Parameter values as (name, canonical text), in the kernel's declaration order.
using param_values = std::vector<std::pair<std::string, std::string>>;

/// Everything that defines a job. It crosses process boundaries through the job codec
/// (core/job_codec.hpp) and is recorded in every report row.
/// Which pass over a kernel's memory a job is (kernels that work on memory, e.g. triad): the
/// timed run, or the set-up (first touch, initialisation) and verification the harness runs
/// through the same backend outside the timed region (kernel_job::phase_job).
enum class job_phase : std::uint8_t { run = 0, setup = 1, verify = 2 };

struct job_spec {
  std::string kernel;
  std::uint64_t size = 0;  ///< problem size in the kernel's unit (samples for pi)
  std::uint64_t seed = 0;
  param_values params;  ///< every declared parameter, validated and in canonical form
  job_phase phase = job_phase::run;
  friend bool operator==(const job_spec&, const job_spec&) = default;
};

/// The work one run of a job does, in the kernel's own units.
struct work_counts {
  std::uint64_t items = 0;       ///< units of work really done (e.g. samples drawn)
  std::uint64_t bytes = 0;       ///< bytes moved to and from memory; 0 where not meaningful
  std::uint64_t operations = 0;  ///< arithmetic operations; 0 where not meaningful
};

/// A run's self-check: every run performs it on its combined result.
struct check_outcome {
  bool ok = false;
  std::string summary;             ///< one line: what was checked and how it came out
  std::optional<double> estimate;  ///< the statistic checked (e.g. the pi estimate), if any
};

/// A result: one 64-bit word per entry of the job's result layout.
using result_words = std::vector<std::uint64_t>;

/// A job bound to its kernel and parameters. Immutable and thread-safe: backends call
/// `accumulate` from many threads (and processes) at once. It must be pure and must not
/// allocate per item, so the interface costs one virtual call per range, not per item.
class kernel_job {
 public:
  virtual ~kernel_job() = default;
  kernel_job(const kernel_job&) = delete;
  kernel_job& operator=(const kernel_job&) = delete;

  [[nodiscard]] const job_spec& spec() const noexcept { return spec_; }
  /// Chunks of this job: fixed by the job, never by the worker count.
  [[nodiscard]] virtual std::uint64_t chunk_count() const noexcept = 0;
  /// The words of the result and how each combines.
  [[nodiscard]] virtual const std::vector<result_word>& layout() const noexcept = 0;
  /// Combines the exact partial result of chunks [range.first, range.last) into `acc`
  /// (acc.size() == layout().size()), as `combine` would. Throws only for invariants.
  virtual void accumulate(chunk_range range, std::span<std::uint64_t> acc) const = 0;
  /// Items (the kernel's unit) chunk `chunk` processes; its relative cost, which the harness
  /// uses for the best speedup a static block split can reach.
  [[nodiscard]] virtual std::uint64_t chunk_items(std::uint64_t chunk) const noexcept = 0;
  /// The work of one run over every chunk.
  [[nodiscard]] virtual work_counts work() const noexcept = 0;
  /// The self-check of a combined result of every chunk (of the last step).
  [[nodiscard]] virtual check_outcome check(std::span<const std::uint64_t> result) const = 0;

  // Steps. Most jobs have one. A stepped job computes every chunk once per step, each step
  // under a key derived from the previous step's combined result, so no backend can skip the
  // synchronisation between steps; a run's result is its last step's. Backends run the steps
  // with their model's own synchronisation (run_steps below is the plain loop).

  /// Steps of one run; at least 1.
  [[nodiscard]] virtual std::uint32_t step_count() const noexcept { return 1; }
  /// The key of the first step.
  [[nodiscard]] virtual std::uint64_t first_key() const noexcept { return 0; }
  /// The key of the step after the one under `key`, whose combined result is `step_result`.
  [[nodiscard]] virtual std::uint64_t next_key(std::uint64_t key, std::span<const std::uint64_t> step_result) const {
    (void)step_result;
    return key;
  }
  // Memory. A kernel that works on arrays (triad) keeps them in one shared mapping
  // (core/shared_region.hpp) that every worker of a run sees: threads directly, forked workers
  // by inheritance, spawned and forkserver workers through the descriptor passed to them.

  /// The descriptor of the job's shared memory (a memfd), or -1 for kernels without memory.
  [[nodiscard]] virtual int memory_fd() const noexcept { return -1; }
  /// The same job's set-up or verification pass over the same memory, or null for kernels
  /// without memory. The harness runs them through the backend being measured, untimed:
  /// set-up before each timed run (so first touch happens in that backend's workers),
  /// verification after it (its result's words count mismatches: all zero when correct).
  [[nodiscard]] virtual std::shared_ptr<const kernel_job> phase_job(job_phase phase) const {
    (void)phase;
    return nullptr;
  }

  /// Called in a worker process before it runs `range` (process backends): maps the memory of
  /// those chunks into its page tables in one call rather than one fault per page; a no-op
  /// for kernels without memory.
  virtual void map_for_worker(chunk_range range) const noexcept { (void)range; }
  /// Gives the memory's pages back, so that the next set-up pass touches them first (in the
  /// workers of the backend that runs it); a no-op for kernels without memory.
  virtual void reset_memory() const noexcept {}

  /// `accumulate` for the step under `key`; a one-step job ignores the key.
  virtual void accumulate_step(std::uint64_t key, chunk_range range, std::span<std::uint64_t> acc) const {
    (void)key;
    accumulate(range, acc);
  }

 protected:
  explicit kernel_job(job_spec spec) : spec_(std::move(spec)) {}

 private:
  job_spec spec_;
};

/// A workload. Registered once per binary (kernels/registry.hpp); stateless.
class kernel {
 public:
  virtual ~kernel() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// Version of the kernel's results: bump when any result for a given spec changes.
  [[nodiscard]] virtual int version() const noexcept = 0;
  [[nodiscard]] virtual std::string_view description() const noexcept = 0;
  /// The unit of `job_spec::size` and of throughput (e.g. "samples").
  [[nodiscard]] virtual std::string_view unit() const noexcept = 0;
  [[nodiscard]] virtual std::vector<kernel_param> params() const = 0;
  /// Binds a spec whose params `complete_spec` produced. Throws usage_error when the
  /// combination of size and parameters is invalid (the message names what to change).
  [[nodiscard]] virtual std::shared_ptr<const kernel_job> make_job(const job_spec& spec) const = 0;
  /// For a stepped kernel: the spec of the same work done in one step (the reference from
  /// which the harness derives the synchronisation cost per step); nullopt for other kernels.
  [[nodiscard]] virtual std::optional<job_spec> single_step_equivalent(const job_spec& spec) const {
    (void)spec;
    return std::nullopt;
  }
  /// The size `pi`/`once` and `run --kernel` use when no size is given, where the kernel has a
  /// reason for its own (triad: arrays 4x the L3 cache); nullopt = the command's default.
  [[nodiscard]] virtual std::optional<std::uint64_t> default_size() const { return std::nullopt; }
  /// Facts for report metadata (e.g. the instruction-set path); empty by default.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> metadata() const { return {}; }
};

/// The identity of `layout`: what `accumulate` starts from.
[[nodiscard]] result_words identity(const std::vector<result_word>& layout);

/// into[i] = into[i] (op) from[i] for every word of `layout`.
void combine(const std::vector<result_word>& layout, std::span<std::uint64_t> into,
             std::span<const std::uint64_t> from);

/// A nesting backend's combination of each step across its processes (mpi's collective): given
/// the step's combined result of the chunks run here, it replaces it with the whole job's.
using step_combiner = std::function<void(std::span<std::uint64_t>)>;

/// Runs every step of `job`: `one_step(key)` returns the combined result of one step under
/// `key`, which `combine_step` (when set) completes before the next key is derived; returns the
/// last step's result.
template <typename OneStep>
[[nodiscard]] result_words run_steps(const kernel_job& job, OneStep&& one_step,
                                     const step_combiner& combine_step = {}) {
  std::uint64_t key = job.first_key();
  result_words result = one_step(key);
  if (combine_step) combine_step(result);
  for (std::uint32_t s = 1; s < job.step_count(); ++s) {
    key = job.next_key(key, result);
    result = one_step(key);
    if (combine_step) combine_step(result);
  }
  return result;
}

/// The result of `range` of `job` computed serially, every step (the reference result).
[[nodiscard]] result_words compute(const kernel_job& job, chunk_range range);

/// One step of `job` under `key` as a one-step job of its own: what a nesting backend (mpi)
/// hands its inner model per step.
[[nodiscard]] std::shared_ptr<const kernel_job> one_step_of(std::shared_ptr<const kernel_job> job, std::uint64_t key);

/// The spec for `k` with `size`, `seed` and the parameters given (any order, a subset):
/// unknown names, values outside their type and range, and repeats are usage errors naming
/// the valid choices; missing parameters take their defaults.
[[nodiscard]] job_spec complete_spec(const kernel& k, std::uint64_t size, std::uint64_t seed,
                                     const param_values& given);

/// "name=value,name=value" (the `--param` syntax) as a list; throws usage_error when malformed.
[[nodiscard]] param_values parse_params(std::string_view text);

/// "name=value;name=value": the canonical text of a spec's params in reports.
[[nodiscard]] std::string format_params(const param_values& params);

/// The value of parameter `name` in `spec`; PARBENCH_ASSERTs that it is there.
[[nodiscard]] const std::string& param(const job_spec& spec, std::string_view name);
[[nodiscard]] std::uint64_t param_uint(const job_spec& spec, std::string_view name);

/// "samples=8 seed=1 rng=philox": a spec for messages.
[[nodiscard]] std::string describe(const job_spec& spec);

/// The best speedup a static block split of `range` (core/partition.hpp) over `workers`
/// workers can reach: total items / items of the heaviest block.
[[nodiscard]] double static_split_bound(const kernel_job& job, chunk_range range, unsigned workers);

}  // namespace parbench
