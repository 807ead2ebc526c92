#include "cli/console_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace parbench::cli {
namespace {

std::string si(double v) {
  const char* units[] = {"", "k", "M", "G", "T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return fmt::format("{:.3g}{}", v, units[u]);
}

std::string size_text(std::uint64_t n) {
  for (int p = 10; p < 63; ++p)
    if (n == std::uint64_t{1} << p) return fmt::format("2^{}", p);
  return si(static_cast<double>(n));
}

// The GPU against one CPU core (its speedup column) and against the best CPU backend at the
// largest W measured (the machine's cores by default), for size `n`.
std::string accelerator_text(const bench::report& report, const std::string& kernel, const std::string& params,
                             std::uint64_t n) {
  const bench::result_row* best_cpu = nullptr;
  std::vector<const bench::result_row*> gpus;
  unsigned max_w = 0;
  for (const auto& r : report.results)
    if (r.row_type == "aggregate" && r.status == "ok" && r.size == n && r.kind == "backend" && r.backend != "cuda" &&
        r.kernel == kernel && r.params == params)
      max_w = std::max(max_w, r.workers);
  for (const auto& r : report.results) {
    if (r.row_type != "aggregate" || r.status != "ok" || r.size != n || !r.items_per_s || r.kernel != kernel ||
        r.params != params)
      continue;
    if (r.backend == "cuda") {
      gpus.push_back(&r);
    } else if (r.kind == "backend" && r.workers == max_w && (!best_cpu || *r.items_per_s > *best_cpu->items_per_s)) {
      best_cpu = &r;
    }
  }
  std::string out;
  for (const auto* g : gpus) {
    out += fmt::format("  {}: {:.1f}x one CPU core", g->backend, g->speedup.value_or(0.0));
    if (best_cpu)
      out +=
          fmt::format(", {:.1f}x the best CPU backend at W={} ({}, {} {}/s)", *g->items_per_s / *best_cpu->items_per_s,
                      max_w, best_cpu->backend, si(*best_cpu->items_per_s), best_cpu->unit);
    out += "\n";
  }
  return out;
}

}  // namespace

std::vector<std::string> trust_warnings(const bench::report& report, const bench::machine_info& machine,
                                        const std::string& build_type) {
  std::vector<std::string> out;
  std::vector<std::string> noisy;
  for (const auto& r : report.results)
    if (r.row_type == "aggregate" && r.wall_s_cv && *r.wall_s_cv > 0.10)
      noisy.push_back(fmt::format("{} {} {} W={} n={} ({:.0f}%)", r.kernel, r.backend, r.schedule, r.workers,
                                  size_text(r.size), *r.wall_s_cv * 100));
  if (!noisy.empty()) {
    std::string list;
    for (std::size_t i = 0; i < noisy.size() && i < 5; ++i) list += (i ? ", " : "") + noisy[i];
    if (noisy.size() > 5) list += fmt::format(" and {} more", noisy.size() - 5);
    out.push_back(
        fmt::format("{} configuration(s) vary by more than 10% between repetitions (cv): {}; "
                    "rerun with more --repetitions on a quiet machine",
                    noisy.size(), list));
  }
  if (machine.governor == "unknown")
    out.push_back("CPU frequency governor unknown (no cpufreq, e.g. a VM): frequency scaling may be on");
  else if (machine.governor != "performance")
    out.push_back(
        fmt::format("CPU frequency governor is '{}', not 'performance': clock speed may change during the "
                    "run (cpupower frequency-set -g performance)",
                    machine.governor));
  const double per_core = machine.load_average[0] / std::max(1u, machine.online_cpus);
  if (per_core > 0.5)
    out.push_back(
        fmt::format("load average at start was {:.2f} on {} CPUs ({:.2f} per core > 0.5): other work "
                    "competes for the cores",
                    machine.load_average[0], machine.online_cpus, per_core));
  if (build_type != "Release" && build_type != "RelWithDebInfo" && build_type != "MinSizeRel")
    out.push_back(
        fmt::format("this is a '{}' build, not Release: timings are not representative "
                    "(use build/release/parbench)",
                    build_type.empty() ? "unspecified" : build_type));
  return out;
}

std::string summary_text(const bench::report& report, const bench::suite& suite) {
  std::string out;
  // One section per (kernel, params), in report order.
  std::vector<std::pair<std::string, std::string>> kernels;
  for (const auto& r : report.results) {
    if (r.row_type != "aggregate") continue;
    const std::pair<std::string, std::string> k{r.kernel, r.params};
    if (std::find(kernels.begin(), kernels.end(), k) == kernels.end()) kernels.push_back(k);
  }
  for (const auto& [kernel, params] : kernels) {
    // Main sizes only (the kernel's, or the suite's); the break-even sweep is in the CSV.
    std::set<std::uint64_t> main_sizes;
    for (const auto& e : suite.kernels)
      if (e.name == kernel)
        main_sizes.insert(e.samples.empty() ? suite.samples.begin() : e.samples.begin(),
                          e.samples.empty() ? suite.samples.end() : e.samples.end());
    if (main_sizes.empty()) main_sizes.insert(suite.samples.begin(), suite.samples.end());
    std::vector<const bench::result_row*> rows;
    std::set<std::uint64_t> sizes;
    std::size_t width = 11;  // peers have long names (python-numpy-forkserver)
    std::size_t sched_width = 8;
    bool imbalanced = false;    // some static split is clearly bounded below W
    bool moves_memory = false;  // the kernel declares bytes moved: bandwidth is the figure
    std::string unit = "items";
    for (const auto& r : report.results) {
      if (r.row_type != "aggregate" || r.kernel != kernel || r.params != params) continue;
      const std::uint64_t per = r.scaling == "weak" ? r.size / r.workers : r.size;
      if (!main_sizes.count(per)) continue;
      rows.push_back(&r);
      sizes.insert(per);
      unit = r.unit;
      width = std::max(width, r.backend.size());
      sched_width = std::max(sched_width, r.schedule.size());
      if (r.static_bound && *r.static_bound < 0.97 * r.workers) imbalanced = true;
      if (r.bytes_per_s) moves_memory = true;
    }
    for (const auto n : sizes) {
      out += fmt::format("\n{} {}: {} scaling, {} {} {} (median of {} repetitions):\n", kernel, params, suite.scaling,
                         size_text(n), unit, suite.scaling == "weak" ? "per worker" : "in total", suite.repetitions);
      out += fmt::format("  {:<{}} {:<{}} {:>4} {:>11} {:>11} {:>8} {:>15} {:>10} {:>10} {:>6}{}\n", "backend", width,
                         "schedule", sched_width, "W", "time", fmt::format("{}/s", unit), "speedup", "[min, max]",
                         "efficiency", "karp-flatt", "cv",
                         std::string(moves_memory ? "     bytes/s" : "") + (imbalanced ? "  static bound" : ""));
      for (const auto* rp : rows) {
        const auto& r = *rp;
        const std::uint64_t per = r.scaling == "weak" ? r.size / r.workers : r.size;
        if (per != n) continue;
        if (r.status != "ok") {
          out += fmt::format("  {:<{}} {:<{}} {:>4}  failed: {}\n", r.backend, width, r.schedule, sched_width,
                             r.workers, r.error);
          continue;
        }
        const auto opt = [](const std::optional<double>& v, double scale, int decimals, std::string_view suffix) {
          return v ? fmt::format("{:.{}f}{}", *v * scale, decimals, suffix) : std::string("-");
        };
        const std::string spread =
            r.speedup_min ? fmt::format("[{:.2f}, {:.2f}]", *r.speedup_min, *r.speedup_max) : std::string("-");
        out += fmt::format("  {:<{}} {:<{}} {:>4} {:>10.4f}s {:>11} {:>8} {:>15} {:>10} {:>10} {:>6}{}\n", r.backend,
                           width, r.schedule, sched_width, r.workers, *r.wall_s,
                           r.items_per_s ? si(*r.items_per_s) : std::string("-"), opt(r.speedup, 1, 2, ""), spread,
                           opt(r.efficiency, 100, 0, "%"), opt(r.karp_flatt, 1, 3, ""), opt(r.wall_s_cv, 100, 1, "%"),
                           (moves_memory ? fmt::format(" {:>11}", r.bytes_per_s ? si(*r.bytes_per_s) : "-") : "") +
                               (imbalanced && r.static_bound ? fmt::format("  {:>12.2f}", *r.static_bound) : ""));
      }
      out += accelerator_text(report, kernel, params, n);
    }
    if (imbalanced)
      out += "  static bound: the best speedup a static block split of these chunks can reach at W (docs/kernels.md)\n";
    // Kernels with memory: how the arrays were set up, which the times above exclude.
    std::vector<double> setups;
    for (const auto* rp : rows)
      if (rp->setup_s) setups.push_back(*rp->setup_s);
    if (!setups.empty()) {
      const auto [lo, hi] = std::minmax_element(setups.begin(), setups.end());
      out += fmt::format(
          "  set-up, untimed before every run: pages given back, then first touch and initialisation by each "
          "backend's own workers ({:.3f}-{:.3f} s, setup_s); every element verified after each run\n",
          *lo, *hi);
    }
  }

  if (!report.break_even.empty()) {
    std::vector<unsigned> ws;
    std::vector<std::string> names;
    std::map<std::pair<std::string, unsigned>, std::string> cell;
    for (const auto& b : report.break_even) {
      if (std::find(ws.begin(), ws.end(), b.workers) == ws.end()) ws.push_back(b.workers);
      const std::string name = fmt::format("{} {} {}", b.kernel, b.backend, b.schedule);
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      cell[{name, b.workers}] = b.break_even_size ? size_text(*b.break_even_size) : "never";
    }
    std::sort(ws.begin(), ws.end());
    std::size_t width = 11;
    for (const auto& n : names) width = std::max(width, n.size());
    out +=
        "\nbreak-even size: smallest size from which the backend beats serial (\"never\": not on the "
        "sizes tried):\n";
    out += fmt::format("  {:<{}}", "kernel backend schedule", width);
    for (const auto w : ws) out += fmt::format(" {:>9}", fmt::format("W={}", w));
    out += "\n";
    for (const auto& n : names) {
      out += fmt::format("  {:<{}}", n, width);
      for (const auto w : ws) {
        const auto it = cell.find({n, w});
        out += fmt::format(" {:>9}", it == cell.end() ? "-" : it->second);
      }
      out += "\n";
    }
  }
  out += sync_text(report.results);
  if (!report.overhead.empty()) out += "\n" + overhead_text(report.overhead);
  return out;
}

std::string sync_text(const std::vector<bench::result_row>& results) {
  std::vector<unsigned> ws;
  std::vector<std::string> names;
  std::map<std::pair<std::string, unsigned>, std::string> cell;
  for (const auto& r : results) {
    if (r.row_type != "aggregate" || !r.sync_per_step_s) continue;
    if (std::find(ws.begin(), ws.end(), r.workers) == ws.end()) ws.push_back(r.workers);
    const std::string name = fmt::format("{} {} {} {}", r.kernel, r.params, r.backend, r.schedule);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    cell[{name, r.workers}] =
        fmt::format("{:.1f} [{:.1f}, {:.1f}]", *r.sync_per_step_s * 1e6, r.sync_per_step_s_min.value_or(0) * 1e6,
                    r.sync_per_step_s_max.value_or(0) * 1e6);
  }
  if (names.empty()) return {};
  std::sort(ws.begin(), ws.end());
  std::size_t width = 11, cell_width = 9;
  for (const auto& n : names) width = std::max(width, n.size());
  for (const auto& [key, text] : cell) cell_width = std::max(cell_width, text.size());
  std::string out =
      "\nsynchronisation cost per step: (time - time of the same work in one step) / steps, microseconds, "
      "median [range]:\n";
  out += fmt::format("  {:<{}}", "kernel params backend schedule", width);
  for (const auto w : ws) out += fmt::format(" {:>{}}", fmt::format("W={}", w), cell_width);
  out += "\n";
  for (const auto& n : names) {
    out += fmt::format("  {:<{}}", n, width);
    for (const auto w : ws) {
      const auto it = cell.find({n, w});
      out += fmt::format(" {:>{}}", it == cell.end() ? "-" : it->second, cell_width);
    }
    out += "\n";
  }
  return out;
}

std::string overhead_text(const std::vector<bench::overhead_row>& rows) {
  std::vector<unsigned> ws;
  std::vector<std::pair<std::string, std::string>> names;
  // One line per (backend, mechanism): mpi has two, its per-run start and MPI_Init.
  std::map<std::tuple<std::string, std::string, unsigned>, double> cell;
  for (const auto& r : rows) {
    if (std::find(ws.begin(), ws.end(), r.workers) == ws.end()) ws.push_back(r.workers);
    const std::pair<std::string, std::string> name{r.backend, r.mechanism};
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    cell[{r.backend, r.mechanism, r.workers}] = r.median_us;
  }
  std::sort(ws.begin(), ws.end());
  std::size_t mechanism_width = 9;
  for (const auto& n : names) mechanism_width = std::max(mechanism_width, n.second.size());
  std::string out = "start-up cost: microseconds to start W workers and collect their empty results (median):\n";
  out += fmt::format("  {:<11} {:<{}}", "backend", "mechanism", mechanism_width);
  for (const auto w : ws) out += fmt::format(" {:>10}", fmt::format("W={}", w));
  out += "\n";
  for (const auto& [name, mechanism] : names) {
    out += fmt::format("  {:<11} {:<{}}", name, mechanism, mechanism_width);
    for (const auto w : ws) {
      const auto it = cell.find({name, mechanism, w});
      out += fmt::format(" {:>10}", it == cell.end() ? "-" : fmt::format("{:.1f}", it->second));
    }
    out += "\n";
  }
  return out;
}

}  // namespace parbench::cli
