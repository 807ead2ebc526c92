#pragma once
// The measured sweep of `parbench run`: which (kernel, backend, schedule, workers, size)
// configurations to run, and running them through Google Benchmark into raw result rows.
//
// Structure, for backends that need more than one process per run (MPI): the plan is
// built and the sweep is run in the process that writes the report; a backend that
// distributes work does so inside backend::run, so only this process writes reports.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "bench/progress.hpp"
#include "bench/records.hpp"
#include "bench/suite.hpp"
#include "bench/topology.hpp"
#include "core/kernel.hpp"

namespace parbench::bench {

/// A backend taking part in a run.
struct planned_backend {
  const backend_entry* entry = nullptr;
  std::unique_ptr<backend> instance;
  std::string kind;  ///< "reference" for serial, else "backend"
};

/// A kernel taking part in a run, with its parameters completed and validated.
struct planned_kernel {
  const kernel* definition = nullptr;
  param_values params;      ///< every declared parameter, canonical
  std::string params_text;  ///< format_params(params)
  bool break_even = true;   ///< whether its strong-scaling configurations get break-even sizes
};

/// One configuration: registered as one Google Benchmark benchmark.
struct planned_config {
  std::size_t kernel = 0;       ///< index into run_plan::kernels
  std::size_t backend = 0;      ///< index into run_plan::backends
  parbench::schedule schedule;  ///< resolved: never an empty name
  unsigned workers = 1;
  std::uint64_t samples = 0;  ///< the job's size (total for strong scaling)
  std::string scaling;        ///< strong | weak
};

struct run_plan {
  suite settings;
  std::vector<planned_kernel> kernels;
  std::vector<planned_backend> backends;
  /// "name: reason" of requested backends whose probe() said they cannot run here.
  std::vector<std::string> skipped;
  /// Notes on (kernel, backend, schedule) combinations left out: a kernel a backend has no
  /// code for, a schedule it does not offer.
  std::vector<std::string> left_out;
  std::vector<unsigned> workers;
  std::vector<planned_config> configs;
  /// The machine's shape the plan was made for (default workers, pinning plans).
  bench::topology topology;
  /// For each W of the plan: which CPU each worker gets under settings.pin (null: not pinned).
  std::map<unsigned, std::shared_ptr<const pin_plan>> pinning;
};

/// Expands `settings` into configurations: every kernel x every usable backend that runs it
/// x every schedule asked for that the backend offers x every W (serial, the reference, only
/// at W = 1 and always included) x every main size (strong: total samples; weak: samples x W),
/// plus the strong break-even sweep sizes. Backends are probed; unusable ones are listed in
/// `skipped`. Throws usage_error for bad names, parameters and schedules no backend offers,
/// and for a pinning `machine` cannot give (more workers than CPUs; a named backend that does
/// not pin; backends in "all" that do not pin are skipped).
run_plan make_plan(const suite& settings, const bench::topology& machine);

/// Throws usage_error, naming the worker and the CPU, when a pinning plan of `plan` names a CPU
/// this process may not use (a PARBENCH_TOPOLOGY of another machine: `--list` shows such plans,
/// a run refuses them before anything is measured or written).
void check_pinning_here(const run_plan& plan);

/// The aggregates of kernels whose suite entry asks for break-even sizes (break_even()).
std::vector<result_row> break_even_candidates(const run_plan& plan, const std::vector<result_row>& aggregates);

/// Human-readable list of what the plan would run (`--list`).
std::string describe(const run_plan& plan);

/// metadata.json's "measurement": repetitions, warm-up and order (one sentence each, saying
/// what run_sweep does), min_time_s and timeout_s of `s`.
nlohmann::json measurement_metadata(const suite& s);

struct sweep_result {
  std::vector<result_row> raw;  ///< one row per counted repetition, failed ones included
  std::string benchmark_json;   ///< Google Benchmark's JSON (only when requested)
};

/// Warms up every (kernel, backend, schedule, W), computes the serial reference results, then runs every
/// configuration `repetitions` times through Google Benchmark (random interleaving, real
/// time). Each run checks itself; a failed run becomes a row with status "failed".
sweep_result run_sweep(run_plan& plan, progress& progress, bool json);

}  // namespace parbench::bench
