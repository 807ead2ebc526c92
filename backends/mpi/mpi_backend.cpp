// MPI: R ranks (started by mpirun/srun) each run a block of the chunks with W workers
// of an inner in-process model; the counts are summed exactly with MPI_Allreduce.
//
// Rank 0 runs parbench as usual. Every other rank waits in `serve` (called from main)
// for rank 0's commands: each `mpi` run or start-up measurement on rank 0 broadcasts its
// configuration, every rank runs its share, and one MPI_Allreduce combines the counts.
// So rank 0 alone parses arguments, measures the other backends and writes reports,
// while the other ranks sleep.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
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

enum class command_kind : std::uint64_t { run = 1, start_empty = 2 };

// A command as rank 0 sends it: fixed-width integers, then strings. Every rank runs
// the same binary, so a plain byte copy is a faithful encoding.
struct command {
  command_kind kind = command_kind::run;
  run_request request;
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

std::string encode(const command& c) {
  const run_request& r = c.request;
  std::string out;
  put_u64(out, static_cast<std::uint64_t>(c.kind));
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
  return out;
}

command decode(const std::string& in) {
  command c;
  run_request& r = c.request;
  std::size_t at = 0;
  c.kind = static_cast<command_kind>(get_u64(in, at));
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
  return c;
}

// Rank 0's check of a request, before any rank does work. Fills in the default inner model.
void validate(run_request& r) {
  if (r.inner.empty()) r.inner = std::string(default_inner);
  if (std::find(inner_models.begin(), inner_models.end(), r.inner) == inner_models.end())
    throw usage_error(fmt::format(
        "mpi: --inner '{}' cannot run inside a rank; choose threads (default), openmp, tbb or serial", r.inner));
  try {
    (void)find_backend(r.inner);  // built into this binary?
  } catch (const usage_error& e) {
    throw usage_error(fmt::format("mpi: --inner: {}", e.what()));
  }
  if (r.workers < 1 || r.workers > max_workers)
    throw usage_error(fmt::format("mpi: {} workers per rank; choose 1..{}", r.workers, max_workers));
  const chunk_range all = requested_chunks(r);
  PARBENCH_ASSERT(all.first <= all.last && all.last <= r.job.chunk_count());
}

// What one rank contributes to a command, and the job-wide totals.
struct share_outcome {
  // hits, workers started, workers used, failed ranks: summed over all ranks.
  std::vector<std::uint64_t> totals = std::vector<std::uint64_t>(4, 0);
  std::optional<usage_error> usage;  ///< this rank's inner model rejected the request
  std::string failure;               ///< this rank's inner model failed
};

// This rank's block of the chunks on the inner model, then the reduction (collective).
// `env` is null for a job of one rank started without a launcher: no MPI at all.
share_outcome run_share(const mpi::environment* env, const command& c) {
  const unsigned rank = env != nullptr ? static_cast<unsigned>(env->rank()) : 0;
  const unsigned size = env != nullptr ? static_cast<unsigned>(env->size()) : 1;
  share_outcome out;
  try {
    if (c.kind == command_kind::start_empty) {
      find_backend(default_inner).make()->start_empty(c.request.workers);
    } else {
      const chunk_range all = requested_chunks(c.request);
      const chunk_range block = partition(all.last - all.first, size, rank);
      run_request share = c.request;
      share.chunks = chunk_range{all.first + block.first, all.first + block.last};
      share.inner.clear();
      const run_result mine = find_backend(c.request.inner).make()->run(share);
      out.totals = {mine.hits, mine.workers_started, mine.workers_used, 0};
    }
  } catch (const usage_error& e) {
    out.usage = e;
  } catch (const std::exception& e) {
    out.failure = e.what();
  }
  if (out.usage || !out.failure.empty()) out.totals = {0, 0, 0, 1};
  if (env != nullptr) env->sum_all(out.totals);
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
    out = run_share(&env, c);
    env.set_in_command(false);
  } else {
    out = run_share(nullptr, c);
  }
  if (out.usage) throw *out.usage;
  if (!out.failure.empty()) throw run_error(fmt::format("mpi: rank 0 of {}: {}", size, out.failure));
  if (out.totals[3] != 0)
    throw run_error(fmt::format("mpi: {} of {} ranks failed; each printed its reason on stderr", out.totals[3], size));
  return out;
}

// The other ranks' side: serve rank 0 until it says stop.
std::optional<int> serve() {
  if (!mpi::launcher_rank()) return std::nullopt;
  auto& env = mpi::environment::get();
  if (env.is_root() || env.size() == 1) return std::nullopt;
  while (true) {
    const std::string blob = env.receive_command();
    if (blob.empty()) return 0;
    const share_outcome out = run_share(&env, decode(blob));
    if (out.usage || !out.failure.empty())
      std::fprintf(stderr, "parbench: error: mpi: rank %d of %d on %s: %s\n", env.rank(), env.size(),
                   env.hosts()[static_cast<std::size_t>(env.rank())].c_str(),
                   out.usage ? out.usage->what() : out.failure.c_str());
  }
}

[[maybe_unused]] const bool serve_hook_installed = (mpi::detail::serve_hook() = &serve, true);

class mpi_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "mpi"; }
  std::string_view description() const noexcept override {
    return "MPI ranks (mpirun -np R) x W workers of --inner threads|openmp|tbb|serial, exact MPI_Allreduce";
  }
  std::string_view mechanism() const noexcept override {
    return "MPI Ibcast + W threads/rank + Allreduce";
  }

  run_result run(const run_request& request) override {
    command c{command_kind::run, request};
    validate(c.request);
    const share_outcome out = run_command(c);
    run_result result;
    result.hits = out.totals[0];
    result.workers_started = static_cast<unsigned>(out.totals[1]);
    result.workers_used = static_cast<unsigned>(out.totals[2]);
    return result;
  }

  // W idle workers of the default inner model on every rank, then one reduction.
  void start_empty(unsigned workers) override {
    command c{command_kind::start_empty, {}};
    c.request.workers = workers;
    (void)run_command(c);
  }
};

}  // namespace

std::unique_ptr<backend> make_mpi() { return std::make_unique<mpi_backend>(); }

}  // namespace parbench::backends
