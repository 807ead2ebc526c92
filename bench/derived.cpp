#include "bench/derived.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <tuple>

namespace parbench::bench {
namespace {

// Appends `item` to a `sep`-separated list.
void append_item(std::string& list, std::string_view sep, std::string_view item) {
  if (!list.empty()) list += sep;
  list += item;
}

// A configuration: nothing is aggregated across kernels, parameters or schedules.
using config_key = std::tuple<std::string, int, std::string, std::string, std::string, std::string, std::string,
                              std::string, unsigned, unsigned, std::uint64_t, std::uint64_t>;

config_key key_of(const result_row& r) {
  return {r.kernel,   r.kernel_version, r.params,  r.backend, r.kind, r.isa,
          r.schedule, r.scaling,        r.workers, r.ranks,   r.size, r.seed};
}

}  // namespace

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::optional<time_summary> summarize(std::span<const double> values) {
  if (values.empty()) return std::nullopt;
  time_summary s;
  s.count = static_cast<unsigned>(values.size());
  s.median = median(std::vector<double>(values.begin(), values.end()));
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  if (values.size() >= 2) {
    double ss = 0;
    for (const double v : values) ss += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(values.size() - 1));
    s.cv = s.mean > 0 ? *s.stddev / s.mean : 0.0;
  }
  return s;
}

double speedup(double t_serial, double t) noexcept { return t_serial / t; }

double efficiency(double s, unsigned workers) noexcept { return s / static_cast<double>(workers); }

std::optional<double> karp_flatt(double s, unsigned workers) noexcept {
  if (workers <= 1 || !(s > 0)) return std::nullopt;
  const double w = static_cast<double>(workers);
  return (1.0 / s - 1.0 / w) / (1.0 - 1.0 / w);
}

std::vector<result_row> aggregate(const std::vector<result_row>& raw) {
  std::vector<config_key> order;
  std::map<config_key, std::vector<const result_row*>> groups;
  for (const auto& r : raw) {
    if (r.row_type != "raw") continue;
    const auto k = key_of(r);
    auto [it, inserted] = groups.try_emplace(k);
    if (inserted) order.push_back(k);
    it->second.push_back(&r);
  }

  std::vector<result_row> out;
  for (const auto& k : order) {
    const auto& rows = groups[k];
    result_row a = *rows.front();
    a.row_type = "aggregate";
    a.repetition.reset();
    a.error.clear();
    a.result.clear();
    a.workers_used.reset();
    std::vector<double> wall, cpu, setup, load1, other, steal;
    for (const auto* r : rows) {
      if (r->status != "ok" || !r->wall_s) {
        if (a.error.empty()) a.error = r->error;
        continue;
      }
      wall.push_back(*r->wall_s);
      if (r->cpu_s) cpu.push_back(*r->cpu_s);
      if (r->setup_s) setup.push_back(*r->setup_s);
      if (r->load1_start) load1.push_back(*r->load1_start);
      if (r->other_cpu) other.push_back(*r->other_cpu);
      if (r->steal) steal.push_back(*r->steal);
      if (a.result.empty()) a.result = r->result;
      if (r->workers_used) a.workers_used = std::max(a.workers_used.value_or(0), *r->workers_used);
    }
    a.wall_s.reset();
    a.cpu_s.reset();
    a.setup_s.reset();
    a.load1_start.reset();
    a.other_cpu.reset();
    a.steal.reset();
    a.items_per_s.reset();
    a.bytes_per_s.reset();
    a.items_per_s_per_worker.reset();
    a.repetitions = static_cast<unsigned>(wall.size());
    const auto s = summarize(wall);
    if (!s) {
      a.status = "failed";
      out.push_back(std::move(a));
      continue;
    }
    a.status = "ok";
    a.error.clear();
    a.wall_s = s->median;
    if (!cpu.empty()) a.cpu_s = median(cpu);
    if (!setup.empty()) a.setup_s = median(setup);
    if (!load1.empty()) a.load1_start = median(load1);
    if (!other.empty()) a.other_cpu = median(other);
    if (!steal.empty()) a.steal = median(steal);
    if (a.items) a.items_per_s = static_cast<double>(*a.items) / s->median;
    if (a.bytes) a.bytes_per_s = static_cast<double>(*a.bytes) / s->median;
    if (a.items_per_s) a.items_per_s_per_worker = *a.items_per_s / static_cast<double>(a.workers);
    a.wall_s_mean = s->mean;
    a.wall_s_stddev = s->stddev;
    a.wall_s_min = s->min;
    a.wall_s_max = s->max;
    a.wall_s_cv = s->cv;
    out.push_back(std::move(a));
  }

  // Speedups against the serial reference, once every aggregate's median is known.
  for (auto& a : out) {
    if (a.status != "ok") continue;
    std::uint64_t ref_size = a.size;
    double scale = 1.0;
    if (a.scaling == "weak") {
      ref_size = a.size / a.workers;
      scale = static_cast<double>(a.workers);
    }
    const result_row* ref = nullptr;
    for (const auto& r : out)
      // Serial of the same kernel, version and parameters at the same size.
      if (r.kind == "reference" && r.status == "ok" && r.kernel == a.kernel && r.kernel_version == a.kernel_version &&
          r.params == a.params && r.seed == a.seed && r.size == ref_size && (ref == nullptr || r.scaling == a.scaling))
        ref = &r;
    if (ref == nullptr) continue;
    const double t_serial = *ref->wall_s * scale;
    a.speedup = speedup(t_serial, *a.wall_s);
    a.speedup_min = speedup(t_serial, *a.wall_s_max);
    a.speedup_max = speedup(t_serial, *a.wall_s_min);
    a.efficiency = efficiency(*a.speedup, a.workers);
    a.karp_flatt = karp_flatt(*a.speedup, a.workers);
  }

  // Synchronisation cost per step, EPCC-style: the same configuration doing the same work in
  // one step is the reference.
  for (auto& a : out) {
    if (a.status != "ok" || a.steps.value_or(1) < 2 || !a.single_step_size) continue;
    const auto one = std::find_if(out.begin(), out.end(), [&](const result_row& r) {
      return r.status == "ok" && r.kernel == a.kernel && r.kernel_version == a.kernel_version &&
             r.params == a.single_step_params && r.size == *a.single_step_size && r.backend == a.backend &&
             r.kind == a.kind && r.isa == a.isa && r.schedule == a.schedule && r.scaling == a.scaling &&
             r.workers == a.workers && r.ranks == a.ranks && r.seed == a.seed;
    });
    if (one == out.end()) continue;
    const double steps = static_cast<double>(*a.steps);
    a.sync_per_step_s = sync_per_step(*a.wall_s, *one->wall_s, *a.steps);
    a.sync_per_step_s_min = (*a.wall_s_min - *one->wall_s_max) / steps;
    a.sync_per_step_s_max = (*a.wall_s_max - *one->wall_s_min) / steps;
  }
  return out;
}

double sync_per_step(double t_steps, double t_one_step, unsigned steps) noexcept {
  return (t_steps - t_one_step) / static_cast<double>(steps);
}

bool beats_reference(const result_row& a, const result_row& reference) noexcept {
  return a.status == "ok" && reference.status == "ok" && a.wall_s_max && reference.wall_s_min &&
         *a.wall_s_max < *reference.wall_s_min;
}

std::vector<break_even_row> break_even(const std::vector<result_row>& aggregates) {
  // The serial reference's fastest repetition per (kernel, version, params, seed, size).
  using ref_key = std::tuple<std::string, int, std::string, std::uint64_t, std::uint64_t>;
  std::map<ref_key, const result_row*> references;
  for (const auto& a : aggregates)
    if (a.row_type == "aggregate" && a.scaling == "strong" && a.kind == "reference")
      references[{a.kernel, a.kernel_version, a.params, a.seed, a.size}] = &a;
  // (kernel, params, backend, schedule, workers) -> size -> beats serial there.
  using key = std::tuple<std::string, std::string, std::string, std::string, unsigned>;
  std::vector<key> order;
  std::map<key, std::map<std::uint64_t, bool>> sweep;
  std::map<key, std::string> unit;
  for (const auto& a : aggregates) {
    // One worker does the serial work plus the backend's costs: where it "wins", that is noise.
    if (a.row_type != "aggregate" || a.scaling != "strong" || a.kind == "reference" || a.workers < 2) continue;
    const key k{a.kernel, a.params, a.backend, a.schedule, a.workers};
    auto [it, inserted] = sweep.try_emplace(k);
    if (inserted) {
      order.push_back(k);
      unit[k] = a.unit;
    }
    const auto ref = references.find({a.kernel, a.kernel_version, a.params, a.seed, a.size});
    it->second[a.size] = ref != references.end() && beats_reference(a, *ref->second);
  }
  std::vector<break_even_row> out;
  out.reserve(order.size());
  for (const auto& k : order) {
    const auto& sizes = sweep[k];
    break_even_row row;
    row.kernel = std::get<0>(k);
    row.params = std::get<1>(k);
    row.backend = std::get<2>(k);
    row.schedule = std::get<3>(k);
    row.workers = std::get<4>(k);
    row.unit = unit[k];
    for (const auto& [n, wins] : sizes) append_item(row.sizes_tried, ";", std::to_string(n));
    // Walk from the largest size down while the backend keeps winning.
    for (auto it = sizes.rbegin(); it != sizes.rend() && it->second; ++it) row.break_even_size = it->first;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace parbench::bench
