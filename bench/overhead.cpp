#include "bench/overhead.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "backends/mpi/mpi_job.hpp"
#include "bench/capture_reporter.hpp"
#include "bench/derived.hpp"
#include "bench/system_info.hpp"

namespace parbench::bench {
namespace {

constexpr double target_rep_s = 0.01;
constexpr unsigned reference_inner = 100000;

struct overhead_config {
  std::size_t backend;
  unsigned workers;
  std::uint64_t rss;
};

}  // namespace

overhead_row summarize_overhead(std::string mechanism, std::string backend, unsigned workers,
                                std::span<const double> per_call_s, double reference_per_call_s, unsigned inner_reps,
                                std::uint64_t parent_rss_bytes) {
  std::vector<double> us;
  for (const double t : per_call_s) us.push_back((t - reference_per_call_s) * 1e6);
  const auto s = summarize(us);
  overhead_row r;
  r.mechanism = std::move(mechanism);
  r.backend = std::move(backend);
  r.workers = workers;
  r.median_us = s->median;
  r.min_us = s->min;
  r.max_us = s->max;
  r.stddev_us = s->stddev.value_or(0.0);
  r.inner_reps = inner_reps;
  r.outer_reps = s->count;
  r.reference_us = reference_per_call_s * 1e6;
  r.parent_rss_bytes = parent_rss_bytes;
  return r;
}

std::vector<overhead_row> measure_overhead(run_plan& plan, progress& prog) {
  const unsigned outer = std::max(1u, plan.settings.overhead_repetitions);
  init_google_benchmark();

  // One untimed start per configuration (pools, pages), which also finds mechanisms that fail.
  std::vector<overhead_config> configs;
  prog.phase("start-up overhead: warm-up", plan.backends.size() * plan.workers.size(),
             static_cast<double>(plan.backends.size() * plan.workers.size()));
  for (std::size_t b = 0; b < plan.backends.size(); ++b) {
    auto& pb = plan.backends[b];
    for (const unsigned w : pb.kind == "reference" ? std::vector<unsigned>{1} : plan.workers) {
      try {
        pb.instance->start_empty(w);
        configs.push_back({b, w, resident_bytes()});
      } catch (const std::exception& e) {
        prog.note(fmt::format("start-up overhead of {} with {} workers not measured: {}", pb.entry->name, w, e.what()));
      }
      prog.step(fmt::format("{} W={}", pb.entry->name, w), 1);
    }
  }

  // The reference loop: the same virtual call into the serial backend, which starts nothing.
  backend* nothing = plan.backends.front().instance.get();
  auto* ref = benchmark::RegisterBenchmark("overhead/reference", [nothing, &prog](benchmark::State& state) {
    for (auto _ : state) nothing->start_empty(1);
    prog.step("reference loop", 1);
  });
  ref->UseRealTime()->Iterations(reference_inner)->Repetitions(static_cast<int>(outer));

  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    backend* b = plan.backends[c.backend].instance.get();
    const std::string name = fmt::format("overhead/{}/w:{}", plan.backends[c.backend].entry->name, c.workers);
    index[name] = i;
    const unsigned w = c.workers;
    const std::string label = fmt::format("{} W={}", plan.backends[c.backend].entry->name, w);
    auto* bm = benchmark::RegisterBenchmark(name.c_str(), [b, w, label, &prog](benchmark::State& state) {
      for (auto _ : state) {
        try {
          b->start_empty(w);
        } catch (const std::exception& e) {
          state.SkipWithError(e.what());
          break;
        }
      }
      prog.step(label, 1);
    });
    // Google Benchmark chooses the inner repetitions (iterations) so that one outer
    // repetition lasts about target_rep_s, whatever a start costs in that moment.
    bm->UseRealTime()->MinTime(target_rep_s)->Repetitions(static_cast<int>(outer));
  }

  // One-time set-up costs of their own (e.g. CUDA context creation), at W = 1.
  std::vector<std::size_t> setups;
  for (std::size_t b = 0; b < plan.backends.size(); ++b) {
    backend* inst = plan.backends[b].instance.get();
    if (inst->setup_mechanism().empty()) continue;
    setups.push_back(b);
    const std::string label = fmt::format("{} {}", plan.backends[b].entry->name, inst->setup_mechanism());
    auto* bm = benchmark::RegisterBenchmark(fmt::format("overhead/setup/{}", plan.backends[b].entry->name).c_str(),
                                            [inst, label, &prog](benchmark::State& state) {
                                              for (auto _ : state) {
                                                try {
                                                  inst->setup();
                                                } catch (const std::exception& e) {
                                                  state.SkipWithError(e.what());
                                                  break;
                                                }
                                              }
                                              prog.step(label, 1);
                                            });
    bm->UseRealTime()->MinTime(target_rep_s)->Repetitions(static_cast<int>(outer));
  }

  prog.phase("start-up overhead", (configs.size() + setups.size() + 1) * outer,
             static_cast<double>((configs.size() + 1) * outer));
  capture_reporter reporter(false);
  benchmark::RunSpecifiedBenchmarks(&reporter, "^overhead/");
  benchmark::ClearRegisteredBenchmarks();
  prog.finish();

  std::vector<double> reference_times;
  std::vector<std::vector<double>> times(configs.size());
  std::vector<std::vector<double>> inner(configs.size());
  std::vector<std::string> errors(configs.size());
  std::map<std::string, std::vector<captured_run>> setup_runs;
  for (const auto& run : reporter.runs()) {
    if (run.name == "overhead/reference") {
      if (!run.failed) reference_times.push_back(run.real_s_per_iteration);
      continue;
    }
    if (run.name.rfind("overhead/setup/", 0) == 0) {
      setup_runs[run.name.substr(std::string_view("overhead/setup/").size())].push_back(run);
      continue;
    }
    const auto it = index.find(run.name);
    if (it == index.end()) continue;
    if (run.failed)
      errors[it->second] = run.error;
    else {
      times[it->second].push_back(run.real_s_per_iteration);
      inner[it->second].push_back(static_cast<double>(run.iterations));
    }
  }
  const double reference_s = reference_times.empty() ? 0.0 : median(reference_times);

  std::vector<overhead_row> rows;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    const auto& pb = plan.backends[c.backend];
    if (!errors[i].empty())
      prog.note(
          fmt::format("start-up overhead of {} with {} workers failed: {}", pb.entry->name, c.workers, errors[i]));
    if (times[i].empty()) continue;
    // mpi starts W workers on each rank: ranks x W in all, as in results.csv.
    rows.push_back(summarize_overhead(std::string(pb.instance->mechanism()), pb.entry->name,
                                      mpi::ranks_of_backend(pb.entry->name) * c.workers, times[i], reference_s,
                                      static_cast<unsigned>(median(inner[i])), c.rss));
  }
  for (const std::size_t b : setups) {
    const auto& pb = plan.backends[b];
    std::vector<double> per_call;
    std::vector<double> iterations;
    for (const auto& run : setup_runs[pb.entry->name]) {
      if (run.failed) {
        prog.note(fmt::format("{} of {} failed: {}", pb.instance->setup_mechanism(), pb.entry->name, run.error));
        continue;
      }
      per_call.push_back(run.real_s_per_iteration);
      iterations.push_back(static_cast<double>(run.iterations));
    }
    if (per_call.empty()) continue;
    rows.push_back(summarize_overhead(std::string(pb.instance->setup_mechanism()), pb.entry->name, 1, per_call,
                                      reference_s, static_cast<unsigned>(median(iterations)), resident_bytes()));
  }
  // MPI's own start-up, paid once per job: MPI_Init_thread and the first collective,
  // measured by rank 0 when MPI started (one sample, so no spread).
  const bool runs_mpi = std::any_of(plan.backends.begin(), plan.backends.end(),
                                    [](const planned_backend& b) { return b.entry->name == "mpi"; });
  if (const auto& job = mpi::current_job(); runs_mpi && job) {
    const double start_up_s = job->init_seconds + job->first_collective_seconds;
    rows.push_back(summarize_overhead("MPI_Init + first collective", "mpi", static_cast<unsigned>(job->ranks),
                                      std::vector<double>{start_up_s}, 0.0, 1,
                                      rows.empty() ? 0 : rows.back().parent_rss_bytes));
  }
  return rows;
}

}  // namespace parbench::bench
