#include "bench/runner.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "backends/mpi/mpi_job.hpp"
#include "bench/capture_reporter.hpp"
#include "core/errors.hpp"
#include "core/signals.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/sampler.hpp"

namespace parbench::bench {
namespace {

// Appends `item` to a `sep`-separated list.
void append_item(std::string& list, std::string_view sep, std::string_view item) {
  if (!list.empty()) list += sep;
  list += item;
}

double cpu_seconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

std::string config_name(const run_plan& plan, const planned_config& c) {
  return fmt::format("pi/{}/w:{}/n:{}/{}", plan.backends[c.backend].entry->name, c.workers, c.samples, c.scaling);
}

// Expected relative cost of one run, for the ETA.
double weight(const planned_config& c, unsigned cpus) {
  return static_cast<double>(c.samples) / std::min(c.workers, std::max(cpus, 1u)) + 2e5;
}

run_request request_for(const suite& s, unsigned workers, std::uint64_t samples) {
  run_request r;
  r.job.samples = samples;
  r.job.seed = s.seed;
  r.job.rng = kernels::parse_rng(s.rng);
  r.workers = workers;
  r.timeout = std::chrono::milliseconds(static_cast<long long>(s.timeout_s * 1000));
  return r;
}

// Runs once and checks the result; returns the error text or nothing.
std::optional<std::string> checked_run(backend& b, const run_request& req, std::optional<std::uint64_t> reference,
                                       run_result& result) {
  try {
    // Process backends kill a worker at req.timeout and fail just this run. Threads cannot be
    // stopped one by one, so a backend that has not returned 10 s after that ends the whole
    // run (docs/reliability.md, "Time limits").
    const signals::deadline per_run(
        req.timeout.count() > 0 ? req.timeout + std::chrono::seconds(10) : std::chrono::milliseconds(0),
        fmt::format("{} with {} workers and {} samples did not return within --timeout {} s (+10 s); threads "
                    "cannot be stopped one by one, so the run stops (no report written)",
                    b.name(), req.workers, req.job.samples, static_cast<double>(req.timeout.count()) / 1000));
    result = b.run(req);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  const kernels::pi_check check = kernels::check_estimate(result.hits, req.job.samples);
  if (!check.ok)
    return fmt::format("self-check failed: estimate {} is {:.1f} sigma from pi", check.estimate,
                       check.error / check.sigma);
  if (reference && result.hits != *reference)
    return fmt::format("self-check failed: {} hits, the serial reference has {}", result.hits, *reference);
  return std::nullopt;
}

}  // namespace

run_plan make_plan(const suite& settings, unsigned online_cpus) {
  run_plan plan;
  plan.settings = settings;
  if (settings.samples.empty()) throw usage_error("the suite has no sample sizes; pass --samples");
  if (settings.repetitions < 1) throw usage_error("--repetitions must be at least 1");
  (void)kernels::parse_rng(settings.rng);

  std::string list;
  for (const auto& b : settings.backends) append_item(list, ",", b);
  std::vector<const backend_entry*> entries = parse_backend_list(list);
  // Serial is the reference every speedup divides by: always measured, always first.
  const backend_entry& serial = find_backend("serial");
  entries.erase(std::remove(entries.begin(), entries.end(), &serial), entries.end());
  entries.insert(entries.begin(), &serial);
  for (const auto* e : entries) {
    auto instance = e->make();
    if (const availability a = instance->probe(); !a.usable) {
      plan.skipped.push_back(fmt::format("{}: {}", e->name, a.reason));
      continue;
    }
    plan.backends.push_back({e, std::move(instance), e->name == "serial" ? "reference" : "backend"});
  }

  plan.workers = settings.workers.empty() ? default_workers(online_cpus) : settings.workers;
  std::sort(plan.workers.begin(), plan.workers.end());
  plan.workers.erase(std::unique(plan.workers.begin(), plan.workers.end()), plan.workers.end());

  std::set<std::tuple<std::size_t, unsigned, std::uint64_t, std::string>> seen;
  const auto add = [&](std::size_t b, unsigned w, std::uint64_t n, const std::string& scaling) {
    if (seen.insert({b, w, n, scaling}).second) plan.configs.push_back({b, w, n, scaling});
  };
  for (std::size_t b = 0; b < plan.backends.size(); ++b) {
    // The reference runs on one worker only, whatever the list says.
    const bool reference = plan.backends[b].kind == "reference";
    const unsigned ranks = mpi::ranks_of_backend(plan.backends[b].entry->name);
    for (const unsigned w : reference ? std::vector<unsigned>{1} : plan.workers) {
      // Per (backend, W): sizes in ascending order, main sizes and the break-even sweep together.
      std::vector<std::pair<std::uint64_t, std::string>> runs;
      for (const std::uint64_t n : settings.samples) {
        if (settings.scaling == "weak") {
          // Weak scaling: n per worker, and an mpi run has ranks x W workers.
          if (n > (std::uint64_t{1} << 63) / (w * ranks))
            throw usage_error(fmt::format("--samples {} x {} workers is more than 2^63 samples", n, w * ranks));
          runs.emplace_back(n * w * ranks, "weak");
        } else {
          runs.emplace_back(n, "strong");
        }
      }
      if (settings.break_even)
        for (const std::uint64_t n : settings.break_even_sizes) runs.emplace_back(n, "strong");
      std::stable_sort(runs.begin(), runs.end());
      for (const auto& [n, scaling] : runs) add(b, w, n, scaling);
    }
  }
  return plan;
}

std::string describe(const run_plan& plan) {
  const suite& s = plan.settings;
  std::string out = fmt::format("suite '{}': {} scaling, rng {}, seed {}, {} repetitions{}\n", s.name, s.scaling, s.rng,
                                s.seed, s.repetitions,
                                s.min_time_s > 0 ? fmt::format(", min time {} s", s.min_time_s) : std::string());
  std::string names;
  for (const auto& b : plan.backends) append_item(names, ", ", b.entry->name);
  out += fmt::format("backends: {}\n", names);
  for (const auto& skipped : plan.skipped) out += fmt::format("skipped (not usable here): {}\n", skipped);
  std::string ws;
  for (const unsigned w : plan.workers) append_item(ws, ", ", std::to_string(w));
  out += fmt::format("workers: {}\n", ws);
  out += fmt::format("{} configurations x {} repetitions = {} measured runs:\n", plan.configs.size(), s.repetitions,
                     plan.configs.size() * s.repetitions);
  for (const auto& c : plan.configs) out += fmt::format("  {}\n", config_name(plan, c));
  if (s.overhead) out += fmt::format("start-up overhead: every backend at W = {}\n", ws);
  return out;
}

sweep_result run_sweep(run_plan& plan, progress& prog, bool json) {
  const suite& s = plan.settings;
  const unsigned cpus = static_cast<unsigned>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));

  // Serial reference hit counts for every size, then one warm-up run per (backend, W)
  // so pools, pages and caches are set up before anything is counted.
  std::set<std::uint64_t> sizes;
  for (const auto& c : plan.configs) sizes.insert(c.samples);
  std::set<std::pair<std::size_t, unsigned>> pairs;
  for (const auto& c : plan.configs) pairs.insert({c.backend, c.workers});
  std::map<std::uint64_t, std::uint64_t> reference;
  double ref_weight = 0;
  for (const auto n : sizes) ref_weight += static_cast<double>(n);
  prog.phase("serial reference and warm-up", sizes.size() + pairs.size(), ref_weight + 2e5 * static_cast<double>(pairs.size()));
  for (const auto n : sizes) {
    const run_request req = request_for(s, 1, n);
    reference[n] = kernels::count_hits(req.job, 0, req.job.chunk_count());
    prog.step(fmt::format("reference n={}", n), static_cast<double>(n));
  }
  // Big enough to give every worker chunks, small enough to be cheap.
  const auto warm_it = sizes.lower_bound(std::uint64_t{1} << 20);
  const std::uint64_t warm_n = warm_it != sizes.end() ? *warm_it : *sizes.rbegin();
  for (const auto& [b, w] : pairs) {
    run_result r;
    auto& pb = plan.backends[b];
    if (const auto error = checked_run(*pb.instance, request_for(s, w, warm_n), reference[warm_n], r))
      prog.note(fmt::format("warm-up of {} with {} workers failed: {}", pb.entry->name, w, *error));
    prog.step(fmt::format("warm-up {} W={}", pb.entry->name, w), 2e5);
  }

  init_google_benchmark();
  std::unordered_map<std::string, std::size_t> index;
  double total_weight = 0;
  for (std::size_t i = 0; i < plan.configs.size(); ++i) {
    const planned_config& c = plan.configs[i];
    const std::string name = config_name(plan, c);
    index[name] = i;
    total_weight += weight(c, cpus) * s.repetitions;
    backend* b = plan.backends[c.backend].instance.get();
    const run_request req = request_for(s, c.workers, c.samples);
    const std::uint64_t ref = reference.at(c.samples);
    const double w = weight(c, cpus);
    const std::string label = fmt::format("{} W={} n={}", plan.backends[c.backend].entry->name, c.workers, c.samples);
    auto* bm = benchmark::RegisterBenchmark(name.c_str(), [b, req, ref, w, label, &prog](benchmark::State& state) {
      const double self0 = cpu_seconds(RUSAGE_SELF), children0 = cpu_seconds(RUSAGE_CHILDREN);
      double reported_children = 0;
      for (auto _ : state) {
        run_result r;
        if (const auto error = checked_run(*b, req, ref, r)) {
          state.SkipWithError(error->c_str());
          break;
        }
        reported_children += r.children_cpu_seconds;
      }
      const double self = cpu_seconds(RUSAGE_SELF) - self0;
      // Children reaped by this process show in RUSAGE_CHILDREN; workers of a helper
      // process (forkserver) are only known from what the backend reports.
      const double children = std::max(cpu_seconds(RUSAGE_CHILDREN) - children0, reported_children);
      const double iterations = static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
      state.counters["cpu_s"] = (self + children) / iterations;
      prog.step(label, w);
    });
    bm->UseRealTime()->Repetitions(static_cast<int>(s.repetitions))->Unit(benchmark::kSecond);
    if (s.min_time_s > 0)
      bm->MinTime(s.min_time_s);
    else
      bm->Iterations(1);
  }

  prog.phase("timed runs", plan.configs.size() * s.repetitions, total_weight);
  capture_reporter reporter(json);
  benchmark::RunSpecifiedBenchmarks(&reporter, "^pi/");
  benchmark::ClearRegisteredBenchmarks();
  prog.finish();

  const std::string isa(kernels::to_string(kernels::active_isa()));
  sweep_result out;
  for (const auto& run : reporter.runs()) {
    const auto it = index.find(run.name);
    if (it == index.end()) continue;
    const planned_config& c = plan.configs[it->second];
    result_row r;
    r.kernel_version = kernels::kernel_version;
    r.rng = s.rng;
    r.isa = isa;
    r.backend = plan.backends[c.backend].entry->name;
    r.kind = plan.backends[c.backend].kind;
    r.scaling = c.scaling;
    // mpi: --workers is per rank, so the run had ranks x W workers.
    r.ranks = mpi::ranks_of_backend(r.backend);
    r.threads_per_rank = c.workers;
    r.workers = r.ranks * c.workers;
    r.samples = c.samples;
    r.seed = s.seed;
    r.row_type = "raw";
    r.repetition = static_cast<unsigned>(run.repetition);
    r.status = run.failed ? "failed" : "ok";
    r.error = run.error;
    if (!run.failed) {
      r.hits = reference.at(c.samples);  // equal by the self-check
      r.wall_s = run.real_s_per_iteration;
      if (const auto cpu = run.counters.find("cpu_s"); cpu != run.counters.end()) r.cpu_s = cpu->second;
      r.samples_per_s = static_cast<double>(c.samples) / *r.wall_s;
      r.samples_per_s_per_worker = *r.samples_per_s / r.workers;
    }
    out.raw.push_back(std::move(r));
  }
  // Stable order for the CSV: configuration order, then repetition.
  std::stable_sort(out.raw.begin(), out.raw.end(), [&](const result_row& a, const result_row& b) {
    const auto ia = index.at(fmt::format("pi/{}/w:{}/n:{}/{}", a.backend, a.threads_per_rank, a.samples, a.scaling));
    const auto ib = index.at(fmt::format("pi/{}/w:{}/n:{}/{}", b.backend, b.threads_per_rank, b.samples, b.scaling));
    return ia != ib ? ia < ib : *a.repetition < *b.repetition;
  });
  if (json) out.benchmark_json = reporter.json_text();
  return out;
}

}  // namespace parbench::bench
