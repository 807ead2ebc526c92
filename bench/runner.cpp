#include "bench/runner.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "backends/mpi/mpi_job.hpp"
#include "bench/capture_reporter.hpp"
#include "bench/conditions.hpp"
#include "core/console_text.hpp"
#include "core/errors.hpp"
#include "core/signals.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/sampler.hpp"
#include "kernels/registry.hpp"

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

// "<kernel>/<backend>/<schedule>/w:W/n:N/<scaling>"; the kernel is "name[params]" when the plan
// runs that kernel with more than one set of parameters, so every name stays unique.
std::string config_name(const run_plan& plan, const planned_config& c) {
  const planned_kernel& k = plan.kernels[c.kernel];
  const auto same_name = std::count_if(plan.kernels.begin(), plan.kernels.end(), [&](const planned_kernel& o) {
    return o.definition->name() == k.definition->name();
  });
  const std::string label =
      same_name > 1 ? fmt::format("{}[{}]", k.definition->name(), k.params_text) : std::string(k.definition->name());
  return fmt::format("{}/{}/{}/w:{}/n:{}/{}", label, plan.backends[c.backend].entry->name, to_string(c.schedule),
                     c.workers, c.samples, c.scaling);
}

// Expected relative cost of one run, for the ETA.
double weight(const kernel_job& job, const planned_config& c, unsigned cpus) {
  return static_cast<double>(job.work().items) / std::min(c.workers, std::max(cpus, 1u)) + 2e5;
}

std::shared_ptr<const kernel_job> job_for(const suite& s, const planned_kernel& k, std::uint64_t size) {
  return k.definition->make_job(job_spec{std::string(k.definition->name()), size, s.seed, k.params});
}

run_request request_for(const run_plan& plan, std::shared_ptr<const kernel_job> job, unsigned workers,
                        const parbench::schedule& sched, bool b_nests) {
  const suite& s = plan.settings;
  run_request r;
  r.job = std::move(job);
  r.workers = workers;
  r.schedule = sched;
  if (const auto it = plan.pinning.find(workers); it != plan.pinning.end()) r.pinning = it->second;
  if (b_nests) r.inner = s.inner;
  r.timeout = std::chrono::milliseconds(static_cast<long long>(s.timeout_s * 1000));
  return r;
}

std::string words_text(const result_words& w) {
  std::string out;
  for (const auto v : w) append_item(out, ";", std::to_string(v));
  return out;
}

// Runs once and checks the result; returns the error text or nothing.
std::optional<std::string> checked_run(backend& b, const run_request& req, const result_words* reference,
                                       run_result& result) {
  try {
    // Process backends kill a worker at req.timeout and fail just this run. Threads cannot be
    // stopped one by one, so a backend that has not returned 10 s after that ends the whole
    // run (docs/reliability.md, "Time limits").
    const signals::deadline per_run(
        req.timeout.count() > 0 ? req.timeout + std::chrono::seconds(10) : std::chrono::milliseconds(0),
        fmt::format("{} with {} workers on {} did not return within --timeout {} s (+10 s); threads "
                    "cannot be stopped one by one, so the run stops (no report written)",
                    b.name(), req.workers, describe(req.job->spec()), static_cast<double>(req.timeout.count()) / 1000));
    result = b.run(req);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  const check_outcome check = req.job->check(result.result);
  if (!check.ok) return fmt::format("self-check failed: {}", check.summary);
  if (reference && result.result != *reference)
    return fmt::format("self-check failed: result {}, the serial reference has {}", words_text(result.result),
                       words_text(*reference));
  return std::nullopt;
}

// A kernel with memory's set-up pass, timed on its own into `seconds`; the error text or nothing.
std::optional<std::string> untimed_setup(backend& b, const run_request& req, double& seconds) {
  try {
    const auto t0 = std::chrono::steady_clock::now();
    (void)run_setup(b, req);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } catch (const std::exception& e) {
    return fmt::format("set-up failed: {}", e.what());
  }
  return std::nullopt;
}

// Its verification pass; the error text or nothing.
std::optional<std::string> untimed_verify(backend& b, const run_request& req) {
  try {
    const auto v = run_verify(b, req);
    if (v && !v->ok) return fmt::format("self-check failed: {}", v->summary);
  } catch (const std::exception& e) {
    return fmt::format("verification failed: {}", e.what());
  }
  return std::nullopt;
}

// The parameters of kernel `k` in this suite: the suite's (those `k` declares, and its rng),
// then the entry's own.
param_values params_for(const suite& s, const kernel& k, const kernel_entry& e) {
  const auto declared = k.params();
  const auto declares = [&](const std::string& name) {
    return std::any_of(declared.begin(), declared.end(), [&](const kernel_param& p) { return p.name == name; });
  };
  const auto given = [](const param_values& v, const std::string& name) {
    return std::any_of(v.begin(), v.end(), [&](const auto& p) { return p.first == name; });
  };
  param_values out = e.params;
  for (const auto& p : s.params)
    if (declares(p.first) && !given(out, p.first)) out.push_back(p);
  if (declares("rng") && !given(out, "rng")) out.emplace_back("rng", s.rng);
  return complete_spec(k, 1, s.seed, out).params;
}

// The schedules of `b` that `names` asks for ("default", "all", or names with :N).
std::vector<parbench::schedule> schedules_for(const backend& outer, const std::string& inner,
                                              const std::vector<std::string>& names,
                                              std::vector<std::string>& not_offered) {
  // A nesting backend's schedule is its inner model's.
  std::unique_ptr<backend> inner_model;
  if (outer.abilities().schedules_of_inner && !inner.empty()) inner_model = find_backend(inner).make();
  const backend& b = inner_model ? *inner_model : outer;
  const backend_abilities a = b.abilities();
  std::vector<parbench::schedule> out;
  const auto add = [&](parbench::schedule s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  for (const auto& n : names) {
    if (n == "default") {
      add({a.schedules.front().name, 0});
    } else if (n == "all") {
      for (const auto& o : a.schedules) add({o.name, 0});
    } else {
      const std::string name = n.substr(0, n.find(':'));
      if (std::none_of(a.schedules.begin(), a.schedules.end(), [&](const auto& o) { return o.name == name; })) {
        not_offered.push_back(n);
        continue;
      }
      add(parse_schedule(b, n));
    }
  }
  return out;
}

}  // namespace

run_plan make_plan(const suite& settings, const bench::topology& machine) {
  run_plan plan;
  plan.settings = settings;
  plan.topology = machine;
  if (settings.samples.empty()) throw usage_error("the suite has no sample sizes; pass --samples");
  if (settings.repetitions < 1) throw usage_error("--repetitions must be at least 1");
  if (settings.kernels.empty()) throw usage_error("the suite has no kernels; pass --kernel");
  (void)kernels::parse_rng(settings.rng);

  // The kernel entries, one per planned kernel: the suite's, then the single-step companions.
  std::vector<kernel_entry> kernel_entries;
  for (const auto& e : settings.kernels) {
    const kernel& k = find_kernel(e.name);
    planned_kernel pk{&k, params_for(settings, k, e), {}};
    pk.params_text = format_params(pk.params);
    pk.break_even = e.break_even.value_or(settings.break_even);
    for (const auto& other : plan.kernels)
      if (other.definition == pk.definition && other.params == pk.params)
        throw usage_error(fmt::format("kernel {} with parameters {} is listed twice", e.name, pk.params_text));
    plan.kernels.push_back(std::move(pk));
    kernel_entries.push_back(e);
  }
  // A stepped kernel's synchronisation cost is its time less that of the same work in one
  // step: that configuration runs too (same backends, schedules, W; sizes as the kernel says).
  for (std::size_t i = 0, n = plan.kernels.size(); i < n; ++i) {
    const planned_kernel& pk = plan.kernels[i];
    const auto one = pk.definition->single_step_equivalent(
        job_spec{std::string(pk.definition->name()), 1, settings.seed, pk.params});
    if (!one || one->params == pk.params) continue;
    const bool present = std::any_of(plan.kernels.begin(), plan.kernels.end(), [&](const planned_kernel& o) {
      return o.definition == pk.definition && o.params == one->params;
    });
    if (present) continue;
    kernel_entry e = kernel_entries[i];
    e.samples.clear();
    for (const std::uint64_t size : kernel_entries[i].samples.empty() ? settings.samples : kernel_entries[i].samples)
      e.samples.push_back(
          pk.definition
              ->single_step_equivalent(job_spec{std::string(pk.definition->name()), size, settings.seed, pk.params})
              ->size);
    e.break_even = false;
    plan.kernels.push_back({pk.definition, one->params, format_params(one->params), false});
    kernel_entries.push_back(std::move(e));
  }
  // A suite-wide parameter must mean something to at least one kernel.
  for (const auto& [name, value] : settings.params) {
    const bool used = std::any_of(plan.kernels.begin(), plan.kernels.end(), [&, &n = name](const planned_kernel& k) {
      const auto ps = k.definition->params();
      return std::any_of(ps.begin(), ps.end(), [&](const kernel_param& p) { return p.name == n; });
    });
    if (!used)
      throw usage_error(
          fmt::format("no kernel of this run has a parameter '{}' (kernels: {}; `parbench list` shows "
                      "their parameters)",
                      name, kernel_names()));
  }

  std::string list;
  for (const auto& b : settings.backends) append_item(list, ",", b);
  std::vector<const backend_entry*> entries = parse_backend_list(list);
  if (!settings.inner.empty()) check_inner(settings.inner, entries);
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
    if (settings.pin != pin_policy::none && !instance->abilities().pins_workers) {
      const std::string why =
          fmt::format("does not pin its workers (--pin {}); run it with --pin none", to_string(settings.pin));
      if (std::find(settings.backends.begin(), settings.backends.end(), e->name) != settings.backends.end())
        throw usage_error(fmt::format("backend {} {}", e->name, why));
      plan.skipped.push_back(fmt::format("{}: {}", e->name, why));
      continue;
    }
    plan.backends.push_back({e, std::move(instance), e->name == "serial" ? "reference" : "backend"});
  }

  plan.workers = settings.workers.empty() ? default_workers(machine) : settings.workers;
  std::sort(plan.workers.begin(), plan.workers.end());
  plan.workers.erase(std::unique(plan.workers.begin(), plan.workers.end()), plan.workers.end());

  // Every named schedule must be offered by some backend of the run.
  std::map<std::string, bool> offered;
  std::set<std::tuple<std::size_t, std::size_t, std::string, unsigned, std::uint64_t, std::string>> seen;
  const auto add = [&](const planned_config& c) {
    if (seen.insert({c.kernel, c.backend, to_string(c.schedule), c.workers, c.samples, c.scaling}).second)
      plan.configs.push_back(c);
  };
  for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
    const kernel_entry& e = kernel_entries[k];
    const kernel& def = *plan.kernels[k].definition;
    const std::vector<std::uint64_t>& sizes = e.samples.empty() ? settings.samples : e.samples;
    const std::vector<std::string>& names = e.schedules.empty() ? settings.schedules : e.schedules;
    std::vector<unsigned> kernel_workers = plan.workers;
    if (e.workers_at_cpus)
      kernel_workers = {std::clamp(machine.allowed_cpus(), 1u, max_workers)};
    else if (!e.workers.empty())
      kernel_workers = e.workers;
    const bool break_even = e.break_even.value_or(settings.break_even);
    for (std::size_t b = 0; b < plan.backends.size(); ++b) {
      const backend& inst = *plan.backends[b].instance;
      if (!supports_kernel(inst.abilities(), def.name())) {
        plan.left_out.push_back(
            fmt::format("{} on {}: not supported by this backend", def.name(), plan.backends[b].entry->name));
        continue;
      }
      // The reference runs on one worker and its default schedule only, whatever the lists say.
      const bool reference = plan.backends[b].kind == "reference";
      std::vector<std::string> not_offered;
      const std::vector<parbench::schedule> scheds =
          reference ? std::vector<parbench::schedule>{{inst.abilities().schedules.front().name, 0}}
                    : schedules_for(inst, settings.inner, names, not_offered);
      for (const auto& n : names) {
        if (n == "default" || n == "all") continue;
        // The reference does not count as offering a schedule: it runs its default whatever the list says.
        const bool missing = std::find(not_offered.begin(), not_offered.end(), n) != not_offered.end();
        if (!reference)
          offered[n] = offered[n] || !missing;
        else
          offered.try_emplace(n, false);
        if (missing && !reference)
          plan.left_out.push_back(
              fmt::format("{} on {}: schedule {} not offered", def.name(), plan.backends[b].entry->name, n));
      }
      const unsigned ranks = mpi::ranks_of_backend(plan.backends[b].entry->name);
      for (const auto& sched : scheds) {
        for (const unsigned w : reference ? std::vector<unsigned>{1} : kernel_workers) {
          // Per (backend, schedule, W): sizes in ascending order, main sizes and the break-even sweep together.
          std::vector<std::pair<std::uint64_t, std::string>> runs;
          for (const std::uint64_t n : sizes) {
            if (settings.scaling == "weak") {
              // Weak scaling: n per worker, and an mpi run has ranks x W workers.
              if (n > (std::uint64_t{1} << 63) / (w * ranks))
                throw usage_error(fmt::format("--samples {} x {} workers is more than 2^63 samples", n, w * ranks));
              runs.emplace_back(n * w * ranks, "weak");
            } else {
              runs.emplace_back(n, "strong");
            }
          }
          if (break_even)
            for (const std::uint64_t n : settings.break_even_sizes) runs.emplace_back(n, "strong");
          std::stable_sort(runs.begin(), runs.end());
          for (const auto& [n, scaling] : runs) add({k, b, sched, w, n, scaling});
        }
      }
    }
  }
  for (const auto& [name, ok] : offered)
    if (!ok)
      throw usage_error(
          fmt::format("no backend of this run offers schedule '{}'; `parbench list` shows each "
                      "backend's schedules",
                      name));
  // More workers than CPUs is an error before anything runs (plan_pinning).
  if (settings.pin != pin_policy::none)
    for (const auto& c : plan.configs)
      if (!plan.pinning.contains(c.workers))
        plan.pinning.emplace(c.workers, std::make_shared<const pin_plan>(
                                            pin_plan{settings.pin, plan_pinning(machine, settings.pin, c.workers)}));
  // Every job must be valid before anything is measured (sizes the kernel refuses, ...).
  std::set<std::pair<std::size_t, std::uint64_t>> checked;
  for (const auto& c : plan.configs)
    if (checked.insert({c.kernel, c.samples}).second) (void)job_for(settings, plan.kernels[c.kernel], c.samples);
  return plan;
}

void check_pinning_here(const run_plan& plan) {
  for (const auto& [w, pins] : plan.pinning)
    if (const auto bad = first_cpu_not_allowed(*pins))
      throw usage_error(fmt::format(
          "--pin {}: worker {} of W={} would run on CPU {}, which this process may not use (it may use {}){}",
          to_string(pins->policy), bad->first, w, bad->second, cpu_list_text(current_cpus()),
          plan.topology.source == "machine"
              ? ""
              : fmt::format("; the plan is for {} (PARBENCH_TOPOLOGY)", plan.topology.source)));
}

std::vector<result_row> break_even_candidates(const run_plan& plan, const std::vector<result_row>& aggregates) {
  std::vector<result_row> out;
  for (const auto& a : aggregates)
    if (std::any_of(plan.kernels.begin(), plan.kernels.end(), [&](const planned_kernel& k) {
          return k.break_even && k.definition->name() == a.kernel && k.params_text == a.params;
        }))
      out.push_back(a);
  return out;
}

std::string describe(const run_plan& plan) {
  const suite& s = plan.settings;
  std::string out =
      fmt::format("suite '{}': {} scaling, seed {}, {} repetitions{}\n", console_text(s.name), s.scaling, s.seed,
                  s.repetitions, s.min_time_s > 0 ? fmt::format(", min time {} s", s.min_time_s) : std::string());
  for (const auto& k : plan.kernels)
    out += fmt::format("kernel: {} (version {}, unit {}) {}\n", k.definition->name(), k.definition->version(),
                       k.definition->unit(), k.params_text);
  std::string names;
  for (const auto& b : plan.backends) append_item(names, ", ", b.entry->name);
  out += fmt::format("backends: {}\n", names);
  for (const auto& skipped : plan.skipped) out += fmt::format("skipped (not usable here): {}\n", skipped);
  for (const auto& note : plan.left_out) out += fmt::format("left out: {}\n", note);
  std::string ws;
  for (const unsigned w : plan.workers) append_item(ws, ", ", std::to_string(w));
  out += fmt::format(
      "workers: {} (physical cores this process may use: {}; beyond that W, workers share cores "
      "through SMT)\n",
      ws, smt_boundary(plan.topology));
  out += fmt::format("machine: {}\n", describe(plan.topology));
  out += fmt::format("pinning: {}\n", to_string(s.pin));
  for (const auto& [w, pins] : plan.pinning) out += fmt::format("  W={}: CPUs {}\n", w, fmt::join(pins->cpus, ","));
  out += fmt::format("{} configurations x {} repetitions = {} measured runs:\n", plan.configs.size(), s.repetitions,
                     plan.configs.size() * s.repetitions);
  // Per kernel, as the report is.
  for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
    out += fmt::format(" kernel {} {}:\n", plan.kernels[k].definition->name(), plan.kernels[k].params_text);
    for (const auto& c : plan.configs)
      if (c.kernel == k) out += fmt::format("  {}\n", config_name(plan, c));
  }
  if (s.overhead) out += fmt::format("start-up overhead: every backend at W = {}\n", ws);
  return out;
}

sweep_result run_sweep(run_plan& plan, progress& prog, bool json) {
  const suite& s = plan.settings;
  const unsigned cpus = static_cast<unsigned>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));

  // One job per (kernel, size) and its serial reference result, then one warm-up run per
  // (kernel, backend, schedule, W) so pools, pages and caches are set up before anything counts.
  using job_key = std::pair<std::size_t, std::uint64_t>;
  std::map<job_key, std::shared_ptr<const kernel_job>> jobs;
  for (const auto& c : plan.configs) {
    auto& j = jobs[{c.kernel, c.samples}];
    if (!j) j = job_for(s, plan.kernels[c.kernel], c.samples);
  }
  std::set<std::tuple<std::size_t, std::size_t, std::string, unsigned>> warm_ups;
  for (const auto& c : plan.configs) warm_ups.insert({c.kernel, c.backend, to_string(c.schedule), c.workers});
  std::map<job_key, result_words> reference;
  double ref_weight = 0;
  for (const auto& [key, job] : jobs) ref_weight += static_cast<double>(job->work().items);
  prog.phase("serial reference and warm-up", jobs.size() + warm_ups.size(),
             ref_weight + 2e5 * static_cast<double>(warm_ups.size()));
  for (const auto& [key, job] : jobs) {
    reference[key] = compute(*job, {0, job->chunk_count()});
    prog.step(fmt::format("reference {} n={}", plan.kernels[key.first].definition->name(), key.second),
              static_cast<double>(job->work().items));
  }
  for (const auto& [k, b, sched_text, w] : warm_ups) {
    // Big enough to give every worker chunks, small enough to be cheap: the kernel's smallest
    // size from 2^20 up, else its largest.
    std::uint64_t warm_n = 0, largest = 0;
    for (const auto& [key, job] : jobs) {
      if (key.first != k) continue;
      largest = std::max(largest, key.second);
      if (key.second >= (std::uint64_t{1} << 20) && (warm_n == 0 || key.second < warm_n)) warm_n = key.second;
    }
    if (warm_n == 0) warm_n = largest;
    run_result r;
    auto& pb = plan.backends[b];
    const auto sched = parse_schedule(*pb.instance, sched_text);
    const job_key jk{k, warm_n};
    const run_request warm_req = request_for(plan, jobs.at(jk), w, sched, pb.instance->abilities().schedules_of_inner);
    double setup_s = 0;
    std::optional<std::string> error;
    if (warm_req.job->memory_fd() >= 0) error = untimed_setup(*pb.instance, warm_req, setup_s);
    if (!error) error = checked_run(*pb.instance, warm_req, &reference.at(jk), r);
    if (!error && warm_req.job->memory_fd() >= 0) error = untimed_verify(*pb.instance, warm_req);
    if (error)
      prog.note(fmt::format("warm-up of {} ({}) with {} workers failed: {}", pb.entry->name, sched_text, w, *error));
    prog.step(fmt::format("warm-up {} {} W={}", pb.entry->name, sched_text, w), 2e5);
  }

  init_google_benchmark();
  std::unordered_map<std::string, std::size_t> index;
  double total_weight = 0;
  for (std::size_t i = 0; i < plan.configs.size(); ++i) {
    const planned_config& c = plan.configs[i];
    const std::string name = config_name(plan, c);
    index[name] = i;
    const auto& job = jobs.at({c.kernel, c.samples});
    const double w = weight(*job, c, cpus);
    total_weight += w * s.repetitions;
    backend* b = plan.backends[c.backend].instance.get();
    const run_request req = request_for(plan, job, c.workers, c.schedule, b->abilities().schedules_of_inner);
    const result_words* ref = &reference.at({c.kernel, c.samples});
    const std::string label =
        fmt::format("{} {} {} W={} n={}", plan.kernels[c.kernel].definition->name(),
                    plan.backends[c.backend].entry->name, to_string(c.schedule), c.workers, c.samples);
    auto* bm =
        benchmark::RegisterBenchmark(name.c_str(), [b, req, ref, w, label, &prog, &plan, i](benchmark::State& state) {
          const conditions_probe conditions;
          const double self0 = cpu_seconds(RUSAGE_SELF), children0 = cpu_seconds(RUSAGE_CHILDREN);
          double reported_children = 0, setup_s = 0;
          unsigned used = 0;
          const bool memory = req.job->memory_fd() >= 0;
          for (auto _ : state) {
            // A kernel with memory: set-up (first touch by this backend's workers) before the
            // timed run and verification of the arrays after it, both outside the timed region.
            if (memory) {
              state.PauseTiming();
              const auto error = untimed_setup(*b, req, setup_s);
              state.ResumeTiming();
              if (error) {
                state.SkipWithError(error->c_str());
                break;
              }
            }
            run_result r;
            if (const auto error = checked_run(*b, req, ref, r)) {
              state.SkipWithError(error->c_str());
              break;
            }
            reported_children += r.children_cpu_seconds;
            used = std::max(used, r.workers_used);
            if (memory) {
              state.PauseTiming();
              const auto error = untimed_verify(*b, req);
              state.ResumeTiming();
              if (error) {
                state.SkipWithError(error->c_str());
                break;
              }
            }
          }
          if (memory)
            state.counters["setup_s"] = setup_s / std::max<double>(1.0, static_cast<double>(state.iterations()));
          const double self = cpu_seconds(RUSAGE_SELF) - self0;
          // Children reaped by this process show in RUSAGE_CHILDREN; workers of a helper
          // process (forkserver) are only known from what the backend reports.
          const double children = std::max(cpu_seconds(RUSAGE_CHILDREN) - children0, reported_children);
          const double iterations = static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
          state.counters["cpu_s"] = (self + children) / iterations;
          const repetition_conditions seen = conditions.finish(self + children);
          if (seen.other_cpu) state.counters["other_cpu"] = *seen.other_cpu;
          if (seen.steal) state.counters["steal"] = *seen.steal;
          if (seen.load1_start) state.counters["load1_start"] = *seen.load1_start;
          state.counters["workers_used"] = used;
          (void)plan;
          (void)i;
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
  benchmark::RunSpecifiedBenchmarks(&reporter, ".*");
  benchmark::ClearRegisteredBenchmarks();
  prog.finish();

  sweep_result out;
  std::vector<std::size_t> config_of;
  std::map<std::tuple<std::size_t, std::uint64_t, unsigned>, double> static_bounds;
  for (const auto& run : reporter.runs()) {
    const auto it = index.find(run.name);
    if (it == index.end()) continue;
    const planned_config& c = plan.configs[it->second];
    const planned_kernel& k = plan.kernels[c.kernel];
    const kernel_job& job = *jobs.at({c.kernel, c.samples});
    result_row r;
    r.kernel = std::string(k.definition->name());
    r.kernel_version = k.definition->version();
    r.params = k.params_text;
    for (const auto& [key, value] : k.definition->metadata())
      if (key == "isa") r.isa = value;
    r.backend = plan.backends[c.backend].entry->name;
    r.kind = plan.backends[c.backend].kind;
    r.schedule = to_string(c.schedule);
    r.pinning = std::string(to_string(s.pin));
    r.scaling = c.scaling;
    // mpi: --workers is per rank, so the run had ranks x W workers.
    r.ranks = mpi::ranks_of_backend(r.backend);
    r.threads_per_rank = c.workers;
    r.workers = r.ranks * c.workers;
    r.size = c.samples;
    r.unit = std::string(k.definition->unit());
    r.seed = s.seed;
    r.row_type = "raw";
    r.repetition = static_cast<unsigned>(run.repetition);
    r.status = run.failed ? "failed" : "ok";
    r.error = run.error;
    r.steps = job.step_count();
    if (job.step_count() > 1) {
      if (const auto one = k.definition->single_step_equivalent(job.spec())) {
        r.single_step_params = format_params(one->params);
        r.single_step_size = one->size;
      }
    }
    const work_counts work = job.work();
    r.items = work.items;
    if (work.bytes > 0) r.bytes = work.bytes;
    if (!run.failed) {
      r.result = words_text(reference.at({c.kernel, c.samples}));  // equal by the self-check
      r.wall_s = run.real_s_per_iteration;
      if (const auto cpu = run.counters.find("cpu_s"); cpu != run.counters.end()) r.cpu_s = cpu->second;
      if (const auto u = run.counters.find("workers_used"); u != run.counters.end())
        r.workers_used = static_cast<unsigned>(u->second);
      if (const auto setup = run.counters.find("setup_s"); setup != run.counters.end()) r.setup_s = setup->second;
      if (const auto v = run.counters.find("other_cpu"); v != run.counters.end()) r.other_cpu = v->second;
      if (const auto v = run.counters.find("steal"); v != run.counters.end()) r.steal = v->second;
      if (const auto v = run.counters.find("load1_start"); v != run.counters.end()) r.load1_start = v->second;
      r.items_per_s = static_cast<double>(work.items) / *r.wall_s;
      if (r.bytes) r.bytes_per_s = static_cast<double>(*r.bytes) / *r.wall_s;
      r.items_per_s_per_worker = *r.items_per_s / r.workers;
    }
    // The best speedup a static split could reach (aggregates copy it); once per (job, W).
    if (r.kind != "reference") {
      auto [bound, fresh] = static_bounds.try_emplace({c.kernel, c.samples, r.workers}, 0.0);
      if (fresh) bound->second = static_split_bound(job, {0, job.chunk_count()}, r.workers);
      r.static_bound = bound->second;
    }
    out.raw.push_back(std::move(r));
    config_of.push_back(it->second);
  }
  // Stable order for the CSV: configuration order, then repetition.
  std::vector<std::size_t> order(out.raw.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return config_of[a] != config_of[b] ? config_of[a] < config_of[b] : *out.raw[a].repetition < *out.raw[b].repetition;
  });
  std::vector<result_row> sorted;
  sorted.reserve(order.size());
  for (const auto i : order) sorted.push_back(std::move(out.raw[i]));
  out.raw = std::move(sorted);
  if (json) out.benchmark_json = reporter.json_text();
  return out;
}

}  // namespace parbench::bench

namespace parbench::bench {

nlohmann::json measurement_metadata(const suite& s) {
  // Each sentence says what run_sweep above does; change them together.
  return {
      {"repetitions", s.repetitions},
      {"warmup",
       "before anything is timed, the serial reference result of every (kernel, size) is computed and every "
       "(kernel, backend, schedule, W) runs once untimed, at the kernel's smallest size from 2^20 up (else its "
       "largest), so that thread pools, pages and caches are set up"},
      {"order",
       fmt::format("configurations are listed kernel by kernel, serial first, then by backend, schedule, W and "
                   "size (main sizes and the break-even sweep together); Google Benchmark's random interleaving "
                   "then runs every repetition of every configuration in a random order, so that slow drift of "
                   "the machine favours no backend; a repetition is {}; reference peers (--peer) and then the "
                   "start-up cost are measured after the sweep",
                   s.min_time_s > 0 ? fmt::format("as many runs as fill {} s, their mean time counting", s.min_time_s)
                                    : std::string("one run"))},
      {"min_time_s", s.min_time_s},
      {"timeout_s", s.timeout_s},
  };
}

}  // namespace parbench::bench
