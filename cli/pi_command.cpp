// `parbench pi`: run the kernel once per backend and show that all agree.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/registry.hpp"

namespace parbench::cli {
namespace {

struct pi_options {
  std::string kernel = "pi";
  std::vector<std::string> params;
  std::string backend = "all";
  std::string workers = "1";
  std::optional<std::string> samples;  ///< not given: the kernel's default size, else 1e7
  std::string seed = "1";
  std::string rng;
  std::string schedule;
  std::string timeout;
  std::string isa;
  std::string inner;
};

std::string words_text(const result_words& w) {
  std::string out;
  for (const auto v : w) out += fmt::format("{}{}", out.empty() ? "" : ";", v);
  return out;
}

void run_once(const pi_options& o) {
  // Validate everything before any work.
  const kernel& k = find_kernel(o.kernel);
  const auto backends = parse_backend_list(o.backend);
  param_values params;
  for (const auto& text : o.params)
    for (auto& p : parse_params(text)) params.push_back(std::move(p));
  if (!o.rng.empty()) {
    const auto declared = k.params();
    if (std::none_of(declared.begin(), declared.end(), [](const kernel_param& p) { return p.name == "rng"; }))
      throw usage_error(fmt::format("--rng: kernel {} has no rng parameter", k.name()));
    params.emplace_back("rng", o.rng);
  }
  const std::uint64_t size = o.samples ? parse_count(*o.samples, "--samples") : k.default_size().value_or(10'000'000);
  const std::uint64_t seed = parse_u64(o.seed, "--seed");
  run_request request;
  request.job = k.make_job(complete_spec(k, size, seed, params));
  request.workers = parse_workers(o.workers);
  // The kernel path (and a PARBENCH_ISA from the environment) is checked before any work.
  if (!o.isa.empty()) {
    kernels::force_isa(kernels::parse_isa(o.isa));
    ::setenv("PARBENCH_ISA", o.isa.c_str(), 1);  // workers that exec a new process use it too
  }
  (void)kernels::active_isa();
  request.inner = o.inner;
  if (!o.inner.empty()) check_inner(o.inner, backends);  // fail before any work; mpi checks the rest
  if (!o.timeout.empty())
    request.timeout = std::chrono::milliseconds(static_cast<long long>(parse_seconds(o.timeout, "--timeout") * 1000));

  // Which backends run, and with which schedule: a backend asked for alone that cannot run the
  // kernel or does not offer the schedule is a usage error; in a list or under `all` it is
  // skipped with a note (as one that cannot run on this machine is).
  const bool explicit_one = backends.size() == 1;
  struct planned {
    const backend_entry* entry;
    std::unique_ptr<backend> instance;
    parbench::schedule sched;
  };
  std::vector<planned> runs;
  std::vector<std::string> skipped;
  for (const auto* entry : backends) {
    auto b = entry->make();
    const backend_abilities a = b->abilities();
    if (!supports_kernel(a, k.name())) {
      const std::string why = fmt::format("kernel {} is not supported by this backend", k.name());
      if (explicit_one) throw usage_error(fmt::format("{}: {}", entry->name, why));
      skipped.push_back(fmt::format("{:<11} skipped: {}", entry->name, why));
      continue;
    }
    parbench::schedule sched;
    if (!o.schedule.empty()) {
      // A nesting backend's schedule is its inner model's.
      std::unique_ptr<backend> judge;
      if (a.schedules_of_inner && !o.inner.empty()) judge = find_backend(o.inner).make();
      try {
        sched = parse_schedule(judge ? *judge : *b, o.schedule);
      } catch (const usage_error& e) {
        if (explicit_one) throw;
        skipped.push_back(fmt::format("{:<11} skipped: {}", entry->name, e.what()));
        continue;
      }
    }
    runs.push_back({entry, std::move(b), sched});
  }
  if (runs.empty())
    throw usage_error(
        fmt::format("no backend of this build can run kernel {}{}; `parbench list` shows each "
                    "backend's schedules and kernels",
                    k.name(), o.schedule.empty() ? "" : fmt::format(" with schedule '{}'", o.schedule)));

  fmt::print("{} (version {}): {}\n", k.name(), k.version(), describe(request.job->spec()));
  fmt::print("{:<11} {:>9} {:>7} {:>14} {:>24} {:>12} {:>10} {:>12}\n", "backend", "schedule", "workers", "size",
             "result", "estimate", "wall_s", fmt::format("{}/s", k.unit()));
  for (const auto& line : skipped) fmt::print("{}\n", line);
  std::optional<result_words> reference;
  bool disagree = false;
  for (auto& r : runs) {
    if (const availability a = r.instance->probe(); !a.usable) {
      if (explicit_one) throw usage_error(fmt::format("backend '{}' is unavailable: {}", r.entry->name, a.reason));
      fmt::print("{:<11} skipped: {}\n", r.entry->name, a.reason);
      continue;
    }
    request.schedule = r.sched;
    std::fflush(stdout);
    // A kernel with memory: set-up by this backend's workers first, untimed.
    (void)run_setup(*r.instance, request);
    const auto start = std::chrono::steady_clock::now();
    const run_result result = r.instance->run(request);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    check_outcome check = request.job->check(result.result);
    if (const auto verified = run_verify(*r.instance, request); verified && check.ok) check = *verified;
    if (!check.ok) throw run_error(fmt::format("{}: {}: the run is wrong", r.entry->name, check.summary));
    const std::string sched_name =
        r.sched.name.empty() ? r.instance->abilities().schedules.front().name : to_string(r.sched);
    fmt::print("{:<11} {:>9} {:>7} {:>14} {:>24} {:>12} {:>10.4f} {:>12.4g}\n", r.entry->name, sched_name,
               result.workers_started, size, words_text(result.result),
               check.estimate ? fmt::format("{:.8f}", *check.estimate) : std::string("-"), seconds,
               static_cast<double>(request.job->work().items) / seconds);
    // Models that schedule for themselves (stdpar, tbb) may leave some of the W workers idle.
    if (result.workers_used != result.workers_started)
      fmt::print("{:<11} ({} of {} workers ran chunks)\n", "", result.workers_used, result.workers_started);
    if (reference && *reference != result.result) disagree = true;
    if (!reference) reference = result.result;
  }
  std::fflush(stdout);
  if (disagree) throw run_error("backends disagree on the result: this is a bug, please report it");
  if (runs.size() > 1 && reference) fmt::print("all backends agree: {}\n", words_text(*reference));
}

}  // namespace

namespace {

void add_once_options(CLI::App* cmd, const std::shared_ptr<pi_options>& opts) {
  cmd->add_option("-k,--kernel", opts->kernel, fmt::format("Kernel: {}", kernel_names()))->capture_default_str();
  cmd->add_option("-p,--param", opts->params,
                  "Kernel parameters name=value[,name=value] (repeatable; `parbench list` shows each kernel's)");
  cmd->add_option("-b,--backend", opts->backend, "Backend name, comma-separated list, or all")->capture_default_str();
  cmd->add_option("-w,--workers", opts->workers, "Exactly W OS-level workers (1..1024)")->capture_default_str();
  cmd->add_option("-n,--samples,--size", opts->samples,
                  "Problem size in the kernel's unit (samples for pi), e.g. 1000000 or 1e9 (1..2^63); default 1e7, "
                  "triad: 4x the L3 cache per array");
  cmd->add_option("--seed", opts->seed, "Seed of the random streams (0..2^64-1)")->capture_default_str();
  cmd->add_option("--rng", opts->rng, "Shortcut for --param rng=philox|light (kernels with an rng parameter)");
  cmd->add_option("-s,--schedule", opts->schedule,
                  "Schedule, NAME or NAME:N, from the backend's list in `parbench list` (default: its first)");
  cmd->add_option("--timeout", opts->timeout,
                  "Kill process workers that take longer (seconds, 0.001..1e7; default: no limit)");
  cmd->add_option("--isa", opts->isa,
                  "Kernel instruction-set path: scalar, avx2 or avx512 (default: the widest this CPU has, or "
                  "PARBENCH_ISA)");
  cmd->add_option("--inner", opts->inner,
                  "Model inside each rank of --backend mpi: a nestable backend (`parbench list`; default threads); "
                  "--workers is then per rank");
  cmd->callback([opts] { run_once(*opts); });
}

}  // namespace

void add_pi_command(CLI::App& app) {
  add_once_options(
      app.add_subcommand("pi", "Run a kernel (default pi) once with one backend (or all) and print the result"),
      std::make_shared<pi_options>());
  add_once_options(app.add_subcommand("once", "The same as pi: run a kernel once per backend and show that all agree"),
                   std::make_shared<pi_options>());
}

}  // namespace parbench::cli
