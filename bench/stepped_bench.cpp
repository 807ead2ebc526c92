#include "bench/stepped_bench.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/kernel.hpp"
#include "kernels/registry.hpp"

#if defined(PARBENCH_HAVE_MPI)
#include "backends/mpi/mpi_env.hpp"
#endif

namespace parbench::bench {
namespace {

using clock = std::chrono::steady_clock;

// Points per step at W workers: one whole 4096-point chunk per worker, microseconds of work, so
// that the workers arrive at each step's synchronisation with the skew a real step has, and the
// single-step twin runs the same chunks (whole ones: a chunk's fixed cost cancels out).
constexpr std::uint64_t step_samples(unsigned workers) { return std::uint64_t{4096} * workers; }
// Pairs of runs per repetition; even, so that each order runs equally often.
constexpr std::size_t timed_pairs = 100;
// SetIterationTime takes no negative time; noise can make the difference negative.
constexpr double tiny_seconds = 1e-12;

// The stepped job and its single-step equivalent: the same points, in one step.
struct job_pair {
  std::shared_ptr<const kernel_job> stepped;
  std::shared_ptr<const kernel_job> single;
};

job_pair make_jobs(unsigned workers) {
  const kernel& k = find_kernel("stepped");
  const job_spec spec = complete_spec(k, std::uint64_t{stepped_bench_steps} * step_samples(workers), 1,
                                      {{"steps", std::to_string(stepped_bench_steps)}, {"rng", "philox"}});
  const std::optional<job_spec> one = k.single_step_equivalent(spec);
  if (!one) throw run_error("kernel stepped offers no single-step equivalent");
  job_pair jobs{k.make_job(spec), k.make_job(*one)};
  if (jobs.stepped->step_count() != stepped_bench_steps || jobs.single->step_count() != 1 ||
      jobs.stepped->work().items != jobs.single->work().items)
    throw run_error(fmt::format("the single-step equivalent ({}) is not the stepped job's work in one step ({})",
                                describe(jobs.single->spec()), describe(jobs.stepped->spec())));
  return jobs;
}

// One run through the backend: its wall time in seconds, and whether its result is `expected`.
double timed_run(backend& b, const run_request& request, const result_words& expected, bool& right) {
  const auto start = clock::now();
  const run_result r = b.run(request);
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  right = right && r.result == expected;
  return seconds;
}

void stepped_backend(benchmark::State& state, const std::string& name) {
  std::unique_ptr<backend> b;
  run_request stepped, single;
  result_words stepped_expected, single_expected;
  try {
#if defined(PARBENCH_HAVE_MPI)
    // MPI up before timing (a job of one rank, as sync/mpi_allreduce's), so that the mpi
    // backend's per-step gather is an MPI collective rather than its no-MPI path.
    if (name == "mpi" && mpi::environment::get().size() != 1) {
      state.SkipWithError("stepped/mpi needs a job of one rank: start parbench_kernel_bench without mpirun");
      return;
    }
#endif
    b = find_backend(name).make();
    const job_pair jobs = make_jobs(static_cast<unsigned>(state.range(0)));
    stepped.job = jobs.stepped;
    single.job = jobs.single;
    stepped.workers = single.workers = static_cast<unsigned>(state.range(0));
    stepped_expected = compute(*jobs.stepped, {0, jobs.stepped->chunk_count()});
    single_expected = compute(*jobs.single, {0, jobs.single->chunk_count()});
    // Untimed: both results through the backend are the serial ones (and the workers are warm).
    if (b->run(stepped).result != stepped_expected) {
      state.SkipWithError(fmt::format("{}: the stepped job's result differs from the serial one", name).c_str());
      return;
    }
    if (b->run(single).result != single_expected) {
      state.SkipWithError(
          fmt::format("{}: the single-step equivalent's result differs from the serial one", name).c_str());
      return;
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }

  // One iteration per repetition: `timed_pairs` pairs of runs, in alternating order, and the
  // median of their per-step costs; a pair that the machine's other work interrupted moves the
  // median little, where it would move a mean by its whole delay / pairs.
  std::vector<double> per_step(timed_pairs);
  for (auto _ : state) {
    bool right = true;
    try {
      for (std::size_t i = 0; i < per_step.size(); ++i) {
        double t_stepped = 0.0, t_single = 0.0;
        if (i % 2 == 0) {
          t_stepped = timed_run(*b, stepped, stepped_expected, right);
          t_single = timed_run(*b, single, single_expected, right);
        } else {
          t_single = timed_run(*b, single, single_expected, right);
          t_stepped = timed_run(*b, stepped, stepped_expected, right);
        }
        per_step[i] = (t_stepped - t_single) / stepped_bench_steps;
      }
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    if (!right) {
      state.SkipWithError(fmt::format("{}: a timed run's result differs from the serial one", name).c_str());
      return;
    }
    std::nth_element(per_step.begin(), per_step.begin() + timed_pairs / 2, per_step.end());
    const double upper = per_step[timed_pairs / 2];
    const double lower = *std::max_element(per_step.begin(), per_step.begin() + timed_pairs / 2);
    const double median = (lower + upper) / 2;
    state.SetIterationTime(std::max(median, tiny_seconds));
    state.counters["us/step"] = 1e6 * median;
  }
}

// Registers stepped/<name> when the backend runs the stepped kernel and is usable here.
void register_stepped(const backend_entry& entry) {
  const std::unique_ptr<backend> b = entry.make();
  // The kernel first: cuda's probe would look for a GPU it could not use for this kernel anyway.
  if (!supports_kernel(b->abilities(), "stepped")) {
    std::fprintf(stderr, "parbench_kernel_bench: stepped/%s skipped: the backend does not run kernel stepped\n",
                 entry.name.c_str());
    return;
  }
  if (const availability a = b->probe(); !a.usable) {
    std::fprintf(stderr, "parbench_kernel_bench: stepped/%s skipped: %s\n", entry.name.c_str(), a.reason.c_str());
    return;
  }
  benchmark::RegisterBenchmark(("stepped/" + entry.name).c_str(), stepped_backend, entry.name)
      ->Arg(1)
      ->Arg(2)
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace

void register_stepped_backends() {
  for (const auto& entry : registered_backends())
    if (entry.name != "mpi") register_stepped(entry);
}

void register_stepped_mpi() {
  for (const auto& entry : registered_backends())
    if (entry.name == "mpi") register_stepped(entry);
}

}  // namespace parbench::bench
