// MPI: R ranks (started by mpirun/srun) each run a block of the chunks with W workers
// of an inner in-process model; the counts are summed exactly with MPI_Allreduce.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/mpi/mpi_env.hpp"
#include "backends/mpi/mpi_job.hpp"
#include "backends/registry.hpp"
#include "core/assert.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/partition.hpp"

namespace parbench::backends {
namespace {

// Models that run inside one process and so can run inside a rank.
constexpr std::array<std::string_view, 4> inner_models = {"threads", "openmp", "tbb", "serial"};
constexpr std::string_view default_inner = "threads";

// The run configuration as rank 0 sends it: fixed-width integers, then strings.
// Every rank runs the same binary, so a plain byte copy is a faithful encoding.
struct wire_config {
  run_request request;
  std::string error;  ///< non-empty: rank 0 rejected the request, every rank fails with this
};

void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_str(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}
std::uint64_t get_u64(const std::string& in, std::size_t& at) {
  PARBENCH_ASSERT(at + sizeof(std::uint64_t) <= in.size());
  std::uint64_t v = 0;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return v;
}
std::string get_str(const std::string& in, std::size_t& at) {
  const auto n = static_cast<std::size_t>(get_u64(in, at));
  PARBENCH_ASSERT(at + n <= in.size());
  std::string s = in.substr(at, n);
  at += n;
  return s;
}

std::string encode(const wire_config& c) {
  const run_request& r = c.request;
  std::string out;
  put_u64(out, r.job.samples);
  put_u64(out, r.job.seed);
  put_u64(out, static_cast<std::uint64_t>(r.job.rng));
  put_u64(out, r.workers);
  put_u64(out, static_cast<std::uint64_t>(r.timeout.count()));
  put_u64(out, r.chunks ? 1 : 0);
  put_u64(out, r.chunks ? r.chunks->first : 0);
  put_u64(out, r.chunks ? r.chunks->last : 0);
  put_str(out, r.schedule);
  put_str(out, r.inner);
  put_str(out, c.error);
  return out;
}

wire_config decode(const std::string& in) {
  wire_config c;
  run_request& r = c.request;
  std::size_t at = 0;
  r.job.samples = get_u64(in, at);
  r.job.seed = get_u64(in, at);
  r.job.rng = static_cast<kernels::rng_kind>(get_u64(in, at));
  r.workers = static_cast<unsigned>(get_u64(in, at));
  r.timeout = std::chrono::milliseconds(static_cast<long long>(get_u64(in, at)));
  const bool has_chunks = get_u64(in, at) != 0;
  const std::uint64_t first = get_u64(in, at), last = get_u64(in, at);
  if (has_chunks) r.chunks = chunk_range{first, last};
  r.schedule = get_str(in, at);
  r.inner = get_str(in, at);
  c.error = get_str(in, at);
  return c;
}

// Rank 0's check of the request, before any rank does work. Empty = fine.
std::string validate(run_request& r) {
  if (r.inner.empty()) r.inner = std::string(default_inner);
  if (std::find(inner_models.begin(), inner_models.end(), r.inner) == inner_models.end())
    return fmt::format("mpi: --inner '{}' cannot run inside a rank; choose threads (default), openmp, tbb or serial",
                       r.inner);
  try {
    (void)find_backend(r.inner);  // built into this binary?
  } catch (const usage_error& e) {
    return fmt::format("mpi: --inner: {}", e.what());
  }
  if (r.workers < 1 || r.workers > max_workers)
    return fmt::format("mpi: {} workers per rank; choose 1..{}", r.workers, max_workers);
  const chunk_range all = requested_chunks(r);
  if (all.first > all.last || all.last > r.job.chunk_count())
    return fmt::format("mpi: chunk range [{}, {}) is outside the job's {} chunks", all.first, all.last,
                       r.job.chunk_count());
  return {};
}

// How this rank's request differs from rank 0's, as flags a user can recognise; empty = same.
std::string differences(run_request mine, const run_request& root) {
  if (mine.inner.empty()) mine.inner = std::string(default_inner);
  std::string out;
  const auto note = [&out](bool differs, std::string_view what, const auto& here, const auto& there) {
    if (differs) out += fmt::format("{}{} {} (rank 0: {})", out.empty() ? "" : ", ", what, here, there);
  };
  note(mine.job.samples != root.job.samples, "--samples", mine.job.samples, root.job.samples);
  note(mine.job.seed != root.job.seed, "--seed", mine.job.seed, root.job.seed);
  note(mine.job.rng != root.job.rng, "--rng", kernels::to_string(mine.job.rng), kernels::to_string(root.job.rng));
  note(mine.workers != root.workers, "--workers", mine.workers, root.workers);
  note(mine.schedule != root.schedule, "--schedule", mine.schedule, root.schedule);
  note(mine.inner != root.inner, "--inner", mine.inner, root.inner);
  note(mine.timeout != root.timeout, "--timeout (ms)", mine.timeout.count(), root.timeout.count());
  const chunk_range a = requested_chunks(mine), b = requested_chunks(root);
  note((mine.chunks || root.chunks) && (a.first != b.first || a.last != b.last), "chunks", fmt::format("[{}, {})", a.first, a.last),
       fmt::format("[{}, {})", b.first, b.last));
  return out;
}

class mpi_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "mpi"; }
  std::string_view description() const noexcept override {
    return "MPI ranks (mpirun -np R) x W workers of --inner threads|openmp|tbb|serial, exact MPI_Allreduce";
  }
  std::string_view mechanism() const noexcept override { return "MPI_Allreduce of one uint64 (ranks running)"; }

  // Under a launcher the job is an MPI job anyway: start MPI here so that MPI_Init is
  // not inside the first timed run. Without one (`list`, a plain run) MPI stays down.
  availability probe() const override {
    if (!mpi::launcher_rank() || mpi::environment::started()) return {};
    try {
      (void)mpi::environment::get();
    } catch (const run_error& e) {
      return {false, e.what()};
    }
    return {};
  }

  run_result run(const run_request& request) override {
    const auto& env = mpi::environment::get();

    // Rank 0's configuration is the job's: a rank with different arguments follows it.
    std::string blob;
    if (env.is_root()) {
      wire_config mine{request, {}};
      mine.error = validate(mine.request);
      blob = encode(mine);
    }
    env.broadcast(blob);
    const wire_config config = decode(blob);
    if (!config.error.empty()) throw usage_error(config.error);
    const run_request& job = config.request;
    // A rank started with other arguments computes rank 0's share all the same (so no
    // rank waits), then the whole job fails: its own checks would use its own arguments.
    const std::string mismatch = env.is_root() ? std::string() : differences(request, job);

    const chunk_range all = requested_chunks(job);
    const chunk_range block = partition(all.last - all.first, static_cast<unsigned>(env.size()),
                                        static_cast<unsigned>(env.rank()));
    run_request share = job;
    share.chunks = chunk_range{all.first + block.first, all.first + block.last};
    share.inner.clear();

    // counts: hits, workers started, workers used, failed ranks, ranks with other arguments.
    std::vector<std::uint64_t> counts(5, 0);
    std::optional<usage_error> usage;
    std::string failure;
    try {
      const run_result mine = find_backend(job.inner).make()->run(share);
      counts[0] = mine.hits;
      counts[1] = mine.workers_started;
      counts[2] = mine.workers_used;
    } catch (const usage_error& e) {
      usage = e;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (usage || !failure.empty()) counts[3] = 1;
    if (!mismatch.empty()) counts[4] = 1;
    env.sum_all(counts);

    if (!mismatch.empty())
      throw usage_error(fmt::format("mpi: rank {} was started with other arguments than rank 0: {}; start every "
                                    "rank with the same command line",
                                    env.rank(), mismatch));
    if (counts[4] != 0)
      throw usage_error(fmt::format("mpi: {} of {} ranks were started with other arguments than rank 0 (each says "
                                    "which on stderr); start every rank with the same command line",
                                    counts[4], env.size()));

    if (usage) throw *usage;
    if (!failure.empty())
      throw run_error(fmt::format("mpi: rank {} of {} on {} failed: {}", env.rank(), env.size(),
                                  env.hosts()[static_cast<std::size_t>(env.rank())], failure));
    if (counts[3] != 0)
      throw run_error(fmt::format("mpi: {} of {} ranks failed; each failing rank printed its reason on stderr",
                                  counts[3], env.size()));
    run_result result;
    result.hits = counts[0];
    result.workers_started = static_cast<unsigned>(counts[1]);
    result.workers_used = static_cast<unsigned>(counts[2]);
    return result;
  }

  // W idle workers of the default inner model on every rank, then one reduction.
  void start_empty(unsigned workers) override {
    const auto& env = mpi::environment::get();
    std::string error;
    try {
      find_backend(default_inner).make()->start_empty(workers);
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::vector<std::uint64_t> failed{error.empty() ? 0u : 1u};
    env.sum_all(failed);
    if (!error.empty()) throw run_error(fmt::format("mpi: rank {}: {}", env.rank(), error));
    if (failed[0] != 0) throw run_error(fmt::format("mpi: {} of {} ranks failed to start workers", failed[0], env.size()));
  }
};

}  // namespace

std::unique_ptr<backend> make_mpi() { return std::make_unique<mpi_backend>(); }

}  // namespace parbench::backends
