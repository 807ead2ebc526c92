// `parbench pi`: run the kernel once per backend and show that all agree.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "backends/registry.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"
#include "kernels/montecarlo/isa.hpp"

namespace parbench::cli {
namespace {

struct pi_options {
  std::string backend = "all";
  std::string workers = "1";
  std::string samples = "1e7";
  std::string seed = "1";
  std::string rng = "philox";
  std::string schedule;
  std::string timeout;
  std::string isa;
  std::string inner;
};

void run_pi(const pi_options& o) {
  // Validate everything before any work.
  const auto backends = parse_backend_list(o.backend);
  run_request request;
  request.workers = parse_workers(o.workers);
  request.job.samples = parse_count(o.samples, "--samples");
  request.job.seed = parse_u64(o.seed, "--seed");
  request.job.rng = kernels::parse_rng(o.rng);
  request.schedule = o.schedule;
  // The kernel path (and a PARBENCH_ISA from the environment) is checked before any work.
  if (!o.isa.empty()) {
    kernels::force_isa(kernels::parse_isa(o.isa));
    ::setenv("PARBENCH_ISA", o.isa.c_str(), 1);  // workers that exec a new process use it too
  }
  (void)kernels::active_isa();
  request.inner = o.inner;
  if (!o.inner.empty()) (void)find_backend(o.inner);  // fail before any work; mpi checks the rest
  if (!o.timeout.empty())
    request.timeout = std::chrono::milliseconds(static_cast<long long>(parse_seconds(o.timeout, "--timeout") * 1000));

  fmt::print("{:<11} {:>7} {:>14} {:>14} {:>12} {:>11} {:>10} {:>12}\n", "backend", "workers", "samples", "hits",
             "estimate", "error", "wall_s", "samples/s");
  std::optional<std::uint64_t> reference;
  bool disagree = false;
  for (const auto* entry : backends) {
    auto b = entry->make();
    if (const availability a = b->probe(); !a.usable) {
      if (backends.size() == 1) throw usage_error(fmt::format("backend '{}' is unavailable: {}", entry->name, a.reason));
      fmt::print("{:<11} skipped: {}\n", entry->name, a.reason);
      continue;
    }
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    const run_result r = b->run(request);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const kernels::pi_check check = kernels::check_estimate(r.hits, request.job.samples);
    if (!check.ok)
      throw run_error(fmt::format("{}: estimate {} is {:.1f} sigma from pi: the run is wrong", entry->name,
                                  check.estimate, check.error / check.sigma));
    fmt::print("{:<11} {:>7} {:>14} {:>14} {:>12.8f} {:>+11.2e} {:>10.4f} {:>12.4g}\n", entry->name,
               r.workers_started, request.job.samples, r.hits, check.estimate, check.error, seconds,
               static_cast<double>(request.job.samples) / seconds);
    // Models that schedule for themselves (stdpar, tbb) may leave some of the W workers idle.
    if (r.workers_used != r.workers_started)
      fmt::print("{:<11} ({} of {} workers ran chunks)\n", "", r.workers_used, r.workers_started);
    if (reference && *reference != r.hits) disagree = true;
    if (!reference) reference = r.hits;
  }
  std::fflush(stdout);
  if (disagree) throw run_error("backends disagree on the hit count: this is a bug, please report it");
  if (backends.size() > 1 && reference) fmt::print("all backends agree: {} hits\n", *reference);
}

}  // namespace

void add_pi_command(CLI::App& app) {
  auto opts = std::make_shared<pi_options>();
  auto* cmd = app.add_subcommand("pi", "Estimate pi once with one backend (or all) and print the result");
  cmd->add_option("-b,--backend", opts->backend, "Backend name, comma-separated list, or all")->capture_default_str();
  cmd->add_option("-w,--workers", opts->workers, "Exactly W OS-level workers (1..1024)")->capture_default_str();
  cmd->add_option("-n,--samples", opts->samples, "Number of samples, e.g. 1000000 or 1e9 (1..2^63)")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Seed of the random streams (0..2^64-1)")->capture_default_str();
  cmd->add_option("--rng", opts->rng, "Generator: philox (default) or light")->capture_default_str();
  cmd->add_option("--schedule", opts->schedule, "Loop schedule for openmp: static (default) or dynamic");
  cmd->add_option("--timeout", opts->timeout, "Kill process workers that take longer (seconds, 0.001..1e7; default: no limit)");
  cmd->add_option("--isa", opts->isa,
                  "Kernel instruction-set path: scalar, avx2 or avx512 (default: the widest this CPU has, or "
                  "PARBENCH_ISA)");
  cmd->add_option("--inner", opts->inner,
                  "Model inside each rank of --backend mpi: threads (default), openmp, tbb or serial; "
                  "--workers is then per rank");
  cmd->callback([opts] { run_pi(*opts); });
}

}  // namespace parbench::cli
