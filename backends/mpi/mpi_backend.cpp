// MPI: R ranks (started by mpirun/srun) each run a block of the chunks with W workers
// of an inner in-process model (any backend that declares itself nestable), under the inner
// model's schedule; the ranks' partial results are gathered and combined exactly.
//
// Rank 0 runs parbench as usual. Every other rank waits in `serve` (called from main)
// for rank 0's commands: each `mpi` run or start-up measurement on rank 0 broadcasts its
// configuration (through the job codec), every rank runs its share, and one MPI_Allgather
// brings every rank's result words to every rank, where combine() adds them up.
// So rank 0 alone parses arguments, measures the other backends and writes reports,
// while the other ranks sleep.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backends/mpi/mpi_env.hpp"
#include "backends/mpi/mpi_job.hpp"
#include "backends/mpi/step_reduction.hpp"
#include "backends/registry.hpp"
#include "core/assert.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/job_codec.hpp"
#include "core/partition.hpp"
#include "kernels/registry.hpp"

namespace parbench::backends {
namespace {

constexpr std::string_view self_name = "mpi";
constexpr std::string_view default_inner = "threads";
constexpr std::uint32_t command_magic = 0x314d4250;  // "PBM1"

enum class command_kind : std::uint32_t { run = 1, start_empty = 2 };

// A command as rank 0 sends it. `words` is the job's result size, so that every rank joins
// the gather with the same count even if its own copy of the job could not be built.
struct command {
  command_kind kind = command_kind::run;
  run_request request;  // request.job is null for start_empty
  std::size_t words = 0;
};

std::string encode(const command& c) {
  const run_request& r = c.request;
  codec::writer w;
  w.u32(static_cast<std::uint32_t>(c.kind));
  w.u32(r.job ? 1 : 0);
  w.spec(r.job ? r.job->spec() : job_spec{});
  w.u64(c.words);
  w.u64(r.workers);
  w.u64(static_cast<std::uint64_t>(r.timeout.count()));
  w.u32(r.chunks ? 1 : 0);
  w.u64(r.chunks ? r.chunks->first : 0);
  w.u64(r.chunks ? r.chunks->last : 0);
  w.str(r.schedule.name);
  w.u64(r.schedule.grain);
  w.str(r.inner);
  // The policy only: each rank plans on the CPUs it was given (rank_pinning).
  w.u32(static_cast<std::uint32_t>(r.pinning ? r.pinning->policy : pin_policy::none));
  return w.finish(command_magic);
}

// A command as another rank receives it; throws codec_error when it is garbled. A job that does
// not bind here (make_job throws) is reported in `job_error`, the rank still takes part.
struct received_command {
  command c;
  std::optional<usage_error> job_error;
};

// The job of a command on a rank other than 0. A kernel with memory (triad) keeps its arrays
// from one command to the next (set-up, the timed runs, verification: distributed memory, each
// rank's slice in its own process), so the last such job is kept and its phases derived from it.
std::shared_ptr<const kernel_job> job_for(const job_spec& spec) {
  static std::shared_ptr<const kernel_job> with_memory;
  job_spec run = spec;
  run.phase = job_phase::run;
  const auto phase_of = [&](const std::shared_ptr<const kernel_job>& job) {
    return spec.phase == job_phase::run ? job : job->phase_job(spec.phase);
  };
  if (with_memory && with_memory->spec() == run) return phase_of(with_memory);
  with_memory.reset();  // its memory goes before the next job's is allocated
  auto job = make_job(run);
  if (job->memory_fd() >= 0) with_memory = job;
  return phase_of(job);
}

received_command decode(std::string_view in) {
  codec::reader rd(in, command_magic);
  received_command out;
  command& c = out.c;
  run_request& r = c.request;
  const std::uint32_t kind = rd.u32();
  if (kind != static_cast<std::uint32_t>(command_kind::run) &&
      kind != static_cast<std::uint32_t>(command_kind::start_empty))
    throw codec::codec_error("unknown command");
  c.kind = static_cast<command_kind>(kind);
  const bool has_job = rd.u32() != 0;
  const job_spec spec = rd.spec();
  c.words = static_cast<std::size_t>(rd.u64());
  if (c.words > codec::max_message / 8) throw codec::codec_error("result word count out of range");
  r.workers = static_cast<unsigned>(rd.u64());
  r.timeout = std::chrono::milliseconds(static_cast<long long>(rd.u64()));
  const bool has_chunks = rd.u32() != 0;
  const std::uint64_t first = rd.u64(), last = rd.u64();
  if (has_chunks) r.chunks = chunk_range{first, last};
  r.schedule.name = rd.str();
  r.schedule.grain = rd.u64();
  r.inner = rd.str();
  const std::uint32_t policy = rd.u32();
  if (policy > static_cast<std::uint32_t>(pin_policy::spread)) throw codec::codec_error("unknown pinning policy");
  if (policy != 0) r.pinning = std::make_shared<const pin_plan>(pin_plan{static_cast<pin_policy>(policy), {}});
  rd.finish();
  if (has_job) {
    try {
      r.job = job_for(spec);
    } catch (const usage_error& e) {
      out.job_error = e;
    }
  }
  return out;
}

// Backends that can run inside a rank, as "threads, openmp, ...", for messages.
std::string nestable_names() {
  std::string out;
  for (const auto& e : registered_backends()) {
    if (e.name == self_name || !e.make()->abilities().nestable) continue;
    out += fmt::format("{}{}{}", out.empty() ? "" : ", ", e.name, e.name == default_inner ? " (default)" : "");
  }
  return out;
}

// Rank 0's check of a request, before any rank does work. Fills in the default inner model;
// the schedule must be one the inner model offers.
void validate(run_request& r) {
  if (r.inner.empty()) r.inner = std::string(default_inner);
  std::unique_ptr<backend> inner;
  try {
    inner = find_backend(r.inner).make();  // built into this binary?
  } catch (const usage_error& e) {
    throw usage_error(fmt::format("mpi: --inner: {}", e.what()));
  }
  const backend_abilities abilities = inner->abilities();
  if (r.inner == self_name || !abilities.nestable || !abilities.honours_subranges)
    throw usage_error(fmt::format("mpi: --inner '{}' cannot run inside a rank; choose {}", r.inner, nestable_names()));
  if (!supports_kernel(abilities, r.job->spec().kernel))
    throw usage_error(
        fmt::format("mpi: --inner {}: kernel {} is not supported by this backend", r.inner, r.job->spec().kernel));
  (void)resolve_schedule(fmt::format("mpi --inner {}", r.inner), abilities, r.schedule);
  if (r.workers < 1 || r.workers > max_workers)
    throw usage_error(fmt::format("mpi: {} workers per rank; choose 1..{}", r.workers, max_workers));
  const chunk_range all = requested_chunks(r);
  PARBENCH_ASSERT(all.first <= all.last && all.last <= r.job->chunk_count());
}

// What one rank contributes to a command, and the job-wide totals.
struct share_outcome {
  std::uint64_t failed_ranks = 0, workers_started = 0, workers_used = 0;
  result_words result;               ///< combined over every rank (when none failed)
  std::optional<usage_error> usage;  ///< this rank's inner model rejected the request
  std::string failure;               ///< this rank's inner model failed
};

// One collective of a command's step: every rank's [failed, workers started, workers used,
// result words] to every rank, combined there. `env` is null for a job of one rank.
share_outcome gather_step(const mpi::environment* env, const command& c, std::vector<std::uint64_t>& mine,
                          share_outcome out) {
  const std::vector<std::uint64_t> all = env != nullptr ? env->gather_all(mine) : mine;
  const std::size_t stride = mine.size();
  out.failed_ranks = out.workers_started = out.workers_used = 0;
  if (c.request.job) out.result = identity(c.request.job->layout());
  for (std::size_t at = 0; at < all.size(); at += stride) {
    out.failed_ranks += all[at];
    out.workers_started += all[at + 1];
    out.workers_used += all[at + 2];
    if (c.request.job)
      combine(c.request.job->layout(), out.result, std::span<const std::uint64_t>(all.data() + at + 3, stride - 3));
  }
  return out;
}

// This rank's pinning under the command's policy, planned on the CPUs this rank may use (what
// mpirun --bind-to gave it). Ranks of one host bound to the same CPU set (--bind-to none: the
// whole node; two ranks on one socket under --bind-to socket) take consecutive slices of one
// plan for all of them, so that they never pin onto the same CPUs. Throws usage_error, naming
// the rank, when the set cannot give each of their workers a CPU of its own. Plans are kept per
// (policy, W): the CPU sets do not change during a job.
std::shared_ptr<const pin_plan> rank_pinning(const mpi::environment* env, const run_request& r) {
  if (!r.pinning || r.pinning->policy == pin_policy::none) return nullptr;
  static std::map<std::pair<pin_policy, unsigned>, std::shared_ptr<const pin_plan>> kept;
  const auto key = std::pair{r.pinning->policy, r.workers};
  if (const auto it = kept.find(key); it != kept.end()) return it->second;
  unsigned sharing = 1, my_slice = 0;
  std::string peers;
  if (env != nullptr) {
    const mpi::job_info& job = env->job();
    const auto me = static_cast<std::size_t>(job.rank);
    sharing = 0;
    for (std::size_t i = 0; i < job.hosts.size() && i < job.cpu_sets.size(); ++i) {
      if (job.hosts[i] != job.hosts[me] || job.cpu_sets[i] != job.cpu_sets[me]) continue;
      if (i < me) ++my_slice;
      ++sharing;
      peers += fmt::format("{}{}", peers.empty() ? "" : ",", i);
    }
  }
  std::vector<int> cpus;
  try {
    const std::vector<int> all = plan_in_this_process(r.pinning->policy, r.workers * sharing);
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(std::size_t{my_slice} * r.workers);
    cpus.assign(first, first + r.workers);
  } catch (const usage_error& e) {
    throw usage_error(sharing > 1 ? fmt::format("mpi rank {} shares its CPU set with ranks {}: {} ranks x {} workers: "
                                                "{} (bind the ranks apart: mpirun --map-by/--bind-to)",
                                                env->rank(), peers, sharing, r.workers, e.what())
                                  : fmt::format("mpi rank {}: {}", env != nullptr ? env->rank() : 0, e.what()));
  }
  auto plan = std::make_shared<const pin_plan>(pin_plan{r.pinning->policy, std::move(cpus)});
  kept.emplace(key, plan);
  return plan;
}

// This rank's block of the chunks in one run of the inner model, which keeps its workers for
// every step of a stepped job: each step's result is completed across the ranks by one
// MPI_Allreduce per combination its layout uses (mpi::step_reduction; one when all are sums),
// made where the inner model combines the step (run_request::combine_step; any inner thread
// may make it, one at a time: MPI_THREAD_SERIALIZED). Then the final gather.
// A rank that fails before the step collectives are done joins the next one with failed = 1,
// which makes every other rank stop after that step; all then meet in the final gather.
share_outcome run_persistent(const mpi::environment* env, const command& c, run_request share) {
  const kernel_job& job = *c.request.job;
  const bool collective_steps = env != nullptr && job.step_count() > 1;
  share_outcome out;
  std::vector<std::uint64_t> mine(3 + c.words, 0);
  std::uint32_t step_gathers = 0;
  bool peer_failed = false;
  // Sized once: each step's collective allocates nothing.
  std::optional<mpi::step_reduction> reduction;
  if (collective_steps) reduction.emplace(job.layout());
  const auto step_gather = [&](bool failed, std::span<std::uint64_t> words) {
    reduction->pack(failed, words);
    for (auto& g : reduction->groups()) env->allreduce_in_place(g.values, g.op);
    ++step_gathers;
    if (reduction->unpack(words) != 0) {
      peer_failed = !failed;
      throw run_error("another rank failed");
    }
  };
  if (collective_steps) share.combine_step = [&](std::span<std::uint64_t> words) { step_gather(false, words); };
  const result_words zero = identity(job.layout());
  try {
    // Touch the kernel once on this thread (an empty range), so that a lazily failing setup
    // (a PARBENCH_ISA this rank's CPU lacks) is this rank's usage error, not a worker's.
    (void)compute(job, {share.chunks->first, share.chunks->first});
    share.pinning = rank_pinning(env, c.request);
    const run_result r = find_backend(c.request.inner).make()->run(share);
    if (r.result.size() != c.words)
      throw run_error(fmt::format("--inner {} returned {} result words, the job has {}", c.request.inner,
                                  r.result.size(), c.words));
    mine[1] = r.workers_started;
    mine[2] = r.workers_used;
    // After the step collectives every rank holds the whole job's result: rank 0 gives it.
    const result_words& words = collective_steps && env->rank() != 0 ? zero : r.result;
    std::copy(words.begin(), words.end(), mine.begin() + 3);
  } catch (const usage_error& e) {
    out.usage = e;
  } catch (const std::exception& e) {
    if (!peer_failed) out.failure = e.what();
  }
  if (out.usage || !out.failure.empty()) {
    std::fill(mine.begin(), mine.end(), 0);
    mine[0] = 1;
    if (collective_steps && step_gathers < job.step_count()) {
      result_words none = zero;
      try {
        step_gather(true, none);
      } catch (const run_error&) {
        // Expected: this rank's own failure, now known to every rank.
      }
    }
  } else if (peer_failed) {
    std::fill(mine.begin(), mine.end(), 0);
  }
  return gather_step(env, c, mine, std::move(out));
}

// This rank's block of the chunks on the inner model, then the gather (collective), once per
// step of the job: a stepped job's next key comes from the combined result of every rank, so
// every rank derives the same one. A rank that failed still joins every collective (with
// failed = 1), and every rank stops after the step in which any rank failed.
// `env` is null for a job of one rank started without a launcher: no MPI at all.
share_outcome run_share(const mpi::environment* env, const command& c, const std::optional<usage_error>& job_error) {
  const unsigned rank = env != nullptr ? static_cast<unsigned>(env->rank()) : 0;
  const unsigned size = env != nullptr ? static_cast<unsigned>(env->size()) : 1;
  share_outcome out;
  std::vector<std::uint64_t> mine(3 + c.words, 0);
  const auto failed = [&] {
    std::fill(mine.begin(), mine.end(), 0);
    mine[0] = 1;
  };
  if (c.kind == command_kind::start_empty || job_error || !c.request.job) {
    try {
      if (job_error) throw *job_error;
      find_backend(default_inner).make()->start_empty(c.request.workers);
    } catch (const usage_error& e) {
      out.usage = e;
      failed();
    } catch (const std::exception& e) {
      out.failure = e.what();
      failed();
    }
    return gather_step(env, c, mine, std::move(out));
  }
  const kernel_job& job = *c.request.job;
  const chunk_range all = requested_chunks(c.request);
  const chunk_range block = partition(all.last - all.first, size, rank);
  run_request share = c.request;
  share.chunks = chunk_range{all.first + block.first, all.first + block.last};
  share.inner.clear();
  if (job.step_count() == 1 || env == nullptr || env->serialized()) return run_persistent(env, c, share);
  // An MPI that lets only the main thread call it: one inner run and one gather per step.
  std::unique_ptr<backend> inner;
  std::uint64_t key = job.first_key();
  std::uint64_t used = 0;
  for (std::uint32_t step = 0; step < job.step_count(); ++step) {
    try {
      if (step == 0) {
        // Touch the kernel once on this thread (an empty range), so that a lazily failing setup
        // (a PARBENCH_ISA this rank's CPU lacks) is this rank's usage error, not a worker's.
        (void)compute(job, {share.chunks->first, share.chunks->first});
        share.pinning = rank_pinning(env, c.request);
        inner = find_backend(c.request.inner).make();
      } else {
        key = job.next_key(key, out.result);
      }
      share.job = job.step_count() > 1 ? one_step_of(c.request.job, key) : c.request.job;
      const run_result r = inner->run(share);
      if (r.result.size() != c.words)
        throw run_error(fmt::format("--inner {} returned {} result words, the job has {}", c.request.inner,
                                    r.result.size(), c.words));
      mine[1] = r.workers_started;
      mine[2] = used = std::max<std::uint64_t>(used, r.workers_used);
      std::copy(r.result.begin(), r.result.end(), mine.begin() + 3);
    } catch (const usage_error& e) {
      out.usage = e;
      failed();
    } catch (const std::exception& e) {
      out.failure = e.what();
      failed();
    }
    out = gather_step(env, c, mine, std::move(out));
    if (out.failed_ranks != 0) break;
  }
  return out;
}

// Rank 0's side of a command: every other rank joins, then the outcome is checked.
// Without a launcher the job is this one process, and MPI is never started: no
// MPI_Init cost inside a timed run, and no runtime helper process next to the caller.
share_outcome run_command(const command& c) {
  share_outcome out;
  int size = 1;
  if (mpi::launcher_rank() || mpi::environment::started()) {
    auto& env = mpi::environment::get();
    size = env.size();
    if (size > 1) env.send_command(encode(c));
    env.set_in_command(true);
    out = run_share(&env, c, std::nullopt);
    env.set_in_command(false);
  } else {
    out = run_share(nullptr, c, std::nullopt);
  }
  if (out.usage) throw *out.usage;
  if (!out.failure.empty()) throw run_error(fmt::format("mpi: rank 0 of {}: {}", size, out.failure));
  if (out.failed_ranks != 0)
    throw run_error(
        fmt::format("mpi: {} of {} ranks failed; each printed its reason on stderr", out.failed_ranks, size));
  return out;
}

// The other ranks' side: serve rank 0 until it says stop.
std::optional<int> serve() {
  if (!mpi::launcher_rank()) return std::nullopt;
  auto& env = mpi::environment::get();
  if (env.is_root() || env.size() == 1) return std::nullopt;
  const auto where = [&] {
    return fmt::format("mpi: rank {} of {} on {}", env.rank(), env.size(),
                       env.hosts()[static_cast<std::size_t>(env.rank())]);
  };
  while (true) {
    const std::string blob = env.receive_command();
    if (blob.empty()) return 0;
    received_command received;
    try {
      received = decode(blob);
    } catch (const codec::codec_error& e) {
      // The ranks can no longer agree on the collective that follows: end the job.
      std::fprintf(stderr, "parbench: error: %s: garbled command from rank 0: %s\n", where().c_str(), e.what());
      env.abort(3);
    }
    const share_outcome out = run_share(&env, received.c, received.job_error);
    if (out.usage || !out.failure.empty())
      std::fprintf(stderr, "parbench: error: %s: %s\n", where().c_str(),
                   out.usage ? out.usage->what() : out.failure.c_str());
  }
}

[[maybe_unused]] const bool serve_hook_installed = (mpi::detail::serve_hook() = &serve, true);

// The default inner model's schedules: what a run without --inner offers. With --inner, the
// schedule is that model's (backend_abilities::schedules_of_inner), checked in validate().
std::vector<schedule_option> default_inner_schedules() {
  std::vector<schedule_option> out = find_backend(default_inner).make()->abilities().schedules;
  for (auto& o : out) o.description = fmt::format("inside each rank (--inner {}): {}", default_inner, o.description);
  return out;
}

class mpi_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return self_name; }
  std::string_view description() const noexcept override {
    return "MPI ranks (mpirun -np R) x W workers of a nestable --inner model (default threads), exact "
           "MPI_Allgather of the results";
  }
  std::string_view mechanism() const noexcept override { return "MPI Ibcast + W threads/rank + Allgather"; }

  // Static across ranks; inside each rank the inner model's schedule (checked in run()).
  backend_abilities abilities() const override {
    static const std::vector<schedule_option> schedules = default_inner_schedules();
    backend_abilities a;
    a.style = backend_style{"#17becf", "h"};
    a.schedules = schedules;
    a.schedules_of_inner = true;
    a.honours_subranges = true;
    a.nestable = false;
    a.pins_workers = true;  // the inner model's workers, inside each rank's CPU set (rank_pinning)
    return a;
  }

  run_result run(const run_request& request) override {
    command c{command_kind::run, request, request.job->layout().size()};
    validate(c.request);
    share_outcome out = run_command(c);
    run_result result;
    result.result = std::move(out.result);
    result.workers_started = static_cast<unsigned>(out.workers_started);
    result.workers_used = static_cast<unsigned>(out.workers_used);
    return result;
  }

  // W idle workers of the default inner model on every rank, then one gather.
  void start_empty(unsigned workers) override {
    command c{command_kind::start_empty, {}, 0};
    c.request.workers = workers;
    (void)run_command(c);
  }
};

}  // namespace

std::unique_ptr<backend> make_mpi() { return std::make_unique<mpi_backend>(); }

}  // namespace parbench::backends
