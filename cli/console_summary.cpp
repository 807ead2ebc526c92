#include "cli/console_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "core/console_text.hpp"

namespace parbench::cli {
namespace {

// Columns on the console: UTF-8 continuation bytes take no column.
std::size_t text_width(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  return n;
}

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
std::vector<std::string> accelerator_notes(const bench::report& report, const std::string& kernel,
                                           const std::string& params, std::uint64_t n) {
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
  std::vector<std::string> out;
  out.reserve(gpus.size());
  for (const auto* g : gpus) {
    std::string line = fmt::format("{}: {:.1f}x one CPU core", g->backend, g->speedup.value_or(0.0));
    if (best_cpu)
      line +=
          fmt::format(", {:.1f}x the best CPU backend at W={} ({}, {} {}/s)", *g->items_per_s / *best_cpu->items_per_s,
                      max_w, best_cpu->backend, si(*best_cpu->items_per_s), best_cpu->unit);
    out.push_back(std::move(line));
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
  if (machine.boost == "on")
    out.push_back(
        "CPU boost (turbo) is on: the clock depends on how many cores are busy and on temperature, so speedups "
        "mix frequency changes into scaling (turn it off in the firmware or /sys/devices/system/cpu/cpufreq/boost)");
  const bench::topology& shape = machine.topology;
  if (shape.allowed_cpus() < shape.cpus)
    out.push_back(
        fmt::format("this process may use {} of the machine's {} CPUs ({}; a container, taskset or batch "
                    "system): the default worker list and pinning use those only",
                    shape.allowed_cpus(), shape.cpus, cpu_list_text(shape.allowed_cpu_list())));
  // How the largest W of each pinning shared the cores (backends only: the reference runs at W = 1).
  std::map<std::string, unsigned> widest;
  for (const auto& r : report.results)
    // Per process: an mpi row's W is ranks x threads, which run in processes of their own.
    if (r.row_type == "aggregate" && r.kind == "backend")
      widest[r.pinning] = std::max(widest[r.pinning], r.ranks > 1 ? r.threads_per_rank : r.workers);
  for (const auto& [pinning, workers] : widest)
    for (auto& w : bench::sharing_warnings(shape, parse_pin_policy(pinning).value_or(pin_policy::none), workers))
      out.push_back(std::move(w));
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

namespace {

// Columns of the per-size table: (header, left-aligned, console width).
struct column_spec {
  std::string header;
  bool left;
  std::size_t width;
};

summary_table make_table(std::string title, const std::vector<column_spec>& columns) {
  summary_table t;
  t.title = std::move(title);
  for (const auto& c : columns) {
    t.header.push_back(c.header);
    t.left.push_back(c.left);
    t.min_width.push_back(c.width);
  }
  return t;
}

// The tables of one (kernel, params): one per main size.
std::vector<summary_table> kernel_tables(const bench::report& report, const bench::suite& suite,
                                         const std::string& kernel, const std::string& params) {
  std::vector<summary_table> out;
  // Main sizes only (the kernel's, or the suite's); the break-even sweep is in the CSV.
  std::set<std::uint64_t> main_sizes;
  for (const auto& e : suite.kernels)
    if (e.name == kernel)
      main_sizes.insert(e.samples.empty() ? suite.samples.begin() : e.samples.begin(),
                        e.samples.empty() ? suite.samples.end() : e.samples.end());
  if (main_sizes.empty()) main_sizes.insert(suite.samples.begin(), suite.samples.end());
  std::vector<const bench::result_row*> rows;
  std::set<std::uint64_t> sizes;
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
    if (r.static_bound && *r.static_bound < 0.97 * r.workers) imbalanced = true;
    if (r.bytes_per_s) moves_memory = true;
  }
  std::vector<column_spec> columns = {{"backend", true, 11},     {"schedule", true, 8},     {"W", false, 4},
                                      {"time", false, 11},       {unit + "/s", false, 11},  {"speedup", false, 8},
                                      {"[min, max]", false, 15}, {"efficiency", false, 10}, {"karp-flatt", false, 10},
                                      {"cv", false, 6}};
  if (moves_memory) columns.push_back({"bytes/s", false, 11});
  if (imbalanced) columns.push_back({"static bound", false, 13});
  for (const auto n : sizes) {
    summary_table t = make_table(
        fmt::format("{} {}: {} scaling, {} {} {} (median of {} repetitions):", kernel, params, suite.scaling,
                    size_text(n), unit, suite.scaling == "weak" ? "per worker" : "in total", suite.repetitions),
        columns);
    for (const auto* rp : rows) {
      const auto& r = *rp;
      const std::uint64_t per = r.scaling == "weak" ? r.size / r.workers : r.size;
      if (per != n) continue;
      if (r.status != "ok") {
        t.rows.push_back({{r.backend, r.schedule, std::to_string(r.workers)}, r.error.empty() ? "failed" : r.error});
        continue;
      }
      const auto opt = [](const std::optional<double>& v, double scale, int decimals, std::string_view suffix) {
        return v ? fmt::format("{:.{}f}{}", *v * scale, decimals, suffix) : std::string("-");
      };
      std::vector<std::string> cells = {
          r.backend,
          r.schedule,
          std::to_string(r.workers),
          fmt::format("{:.4f}s", *r.wall_s),
          r.items_per_s ? si(*r.items_per_s) : std::string("-"),
          opt(r.speedup, 1, 2, ""),
          r.speedup_min ? fmt::format("[{:.2f}, {:.2f}]", *r.speedup_min, *r.speedup_max) : std::string("-"),
          opt(r.efficiency, 100, 0, "%"),
          opt(r.karp_flatt, 1, 3, ""),
          opt(r.wall_s_cv, 100, 1, "%")};
      if (moves_memory) cells.push_back(r.bytes_per_s ? si(*r.bytes_per_s) : "-");
      if (imbalanced) cells.push_back(r.static_bound ? fmt::format("{:.2f}", *r.static_bound) : "");
      t.rows.push_back({std::move(cells), {}});
    }
    t.notes = accelerator_notes(report, kernel, params, n);
    out.push_back(std::move(t));
  }
  if (out.empty()) return out;
  auto& notes = out.back().notes;
  if (imbalanced)
    notes.emplace_back(
        "static bound: the best speedup a static block split of these chunks can reach at W (docs/kernels.md)");
  // Kernels with memory: how the arrays were set up, which the times above exclude.
  std::vector<double> setups;
  for (const auto* rp : rows)
    if (rp->setup_s) setups.push_back(*rp->setup_s);
  if (!setups.empty()) {
    const auto [lo, hi] = std::minmax_element(setups.begin(), setups.end());
    notes.push_back(
        fmt::format("set-up, untimed before every run: pages given back, then first touch and initialisation by each "
                    "backend's own workers ({:.3f}-{:.3f} s, setup_s); every element verified after each run",
                    *lo, *hi));
  }
  return out;
}

// A table with one row per name and one column per W, from (name, W) -> cell text.
summary_table per_worker_table(std::string title, const std::string& first_header, std::size_t cell_width,
                               const std::vector<std::string>& names, std::vector<unsigned> ws,
                               const std::map<std::pair<std::string, unsigned>, std::string>& cell) {
  std::sort(ws.begin(), ws.end());
  std::vector<column_spec> columns = {{first_header, true, 11}};
  for (const auto w : ws) columns.push_back({fmt::format("W={}", w), false, cell_width});
  summary_table t = make_table(std::move(title), columns);
  for (const auto& n : names) {
    std::vector<std::string> cells = {n};
    for (const auto w : ws) {
      const auto it = cell.find({n, w});
      cells.push_back(it == cell.end() ? "-" : it->second);
    }
    t.rows.push_back({std::move(cells), {}});
  }
  return t;
}

std::optional<summary_table> break_even_table(const std::vector<bench::break_even_row>& rows) {
  std::vector<unsigned> ws;
  std::vector<std::string> names;
  std::map<std::pair<std::string, unsigned>, std::string> cell;
  for (const auto& b : rows) {
    if (b.workers < 2) continue;  // one worker cannot beat serial but by noise (docs/report-format.md)
    if (std::find(ws.begin(), ws.end(), b.workers) == ws.end()) ws.push_back(b.workers);
    const std::string name = fmt::format("{} {} {}", b.kernel, b.backend, b.schedule);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    cell[{name, b.workers}] = b.break_even_size ? size_text(*b.break_even_size) : "never";
  }
  if (names.empty()) return std::nullopt;
  return per_worker_table(
      "break-even size: smallest size from which the backend's slowest repetition beats serial's fastest, "
      "at that size and every larger one (\"never\": not on the sizes tried):",
      "kernel backend schedule", 9, names, ws, cell);
}

std::optional<summary_table> sync_table(const std::vector<bench::result_row>& results) {
  std::vector<unsigned> ws;
  std::vector<std::string> names;
  std::map<std::pair<std::string, unsigned>, std::string> cell;
  std::size_t cell_width = 9;
  for (const auto& r : results) {
    if (r.row_type != "aggregate" || !r.sync_per_step_s) continue;
    if (std::find(ws.begin(), ws.end(), r.workers) == ws.end()) ws.push_back(r.workers);
    const std::string name = fmt::format("{} {} {} {}", r.kernel, r.params, r.backend, r.schedule);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    const std::string text =
        fmt::format("{:.1f} [{:.1f}, {:.1f}]", *r.sync_per_step_s * 1e6, r.sync_per_step_s_min.value_or(0) * 1e6,
                    r.sync_per_step_s_max.value_or(0) * 1e6);
    cell_width = std::max(cell_width, text.size());
    cell[{name, r.workers}] = text;
  }
  if (names.empty()) return std::nullopt;
  return per_worker_table(
      "synchronisation cost per step: (time - time of the same work in one step) / steps, microseconds, "
      "median [range]:",
      "kernel params backend schedule", cell_width, names, ws, cell);
}

std::optional<summary_table> overhead_table(const std::vector<bench::overhead_row>& rows, double timer_resolution_ns) {
  if (rows.empty()) return std::nullopt;
  std::vector<unsigned> ws;
  std::vector<std::pair<std::string, std::string>> names;
  // One line per (backend, mechanism): mpi has two, its per-run start and MPI_Init.
  std::map<std::tuple<std::string, std::string, unsigned>, std::string> cell;
  bool unresolved = false;
  for (const auto& r : rows) {
    if (std::find(ws.begin(), ws.end(), r.workers) == ws.end()) ws.push_back(r.workers);
    const std::pair<std::string, std::string> name{r.backend, r.mechanism};
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    const std::string text = startup_cell(r, timer_resolution_ns);
    unresolved = unresolved || text.front() == '<';
    cell[{r.backend, r.mechanism, r.workers}] = text;
  }
  std::sort(ws.begin(), ws.end());
  std::vector<column_spec> columns = {{"backend", true, 11}, {"mechanism", true, 9}};
  for (const auto w : ws) columns.push_back({fmt::format("W={}", w), false, 10});
  summary_table t =
      make_table("start-up cost: microseconds to start W workers and collect their empty results (median):", columns);
  for (const auto& [name, mechanism] : names) {
    std::vector<std::string> cells = {name, mechanism};
    for (const auto w : ws) {
      const auto it = cell.find({name, mechanism, w});
      cells.push_back(it == cell.end() ? "-" : it->second);
    }
    t.rows.push_back({std::move(cells), {}});
  }
  if (unresolved)
    t.notes.emplace_back(
        "<X: at or below X microseconds, the timer's resolution per start or the table's precision: not "
        "told apart from zero");
  return t;
}

std::string pad(const std::string& text, std::size_t width, bool left) {
  const std::size_t n = text_width(text);
  if (n >= width) return text;
  return left ? text + std::string(width - n, ' ') : std::string(width - n, ' ') + text;
}

}  // namespace

std::vector<summary_table> summary_tables(const bench::report& report, const bench::suite& suite,
                                          double timer_resolution_ns) {
  std::vector<summary_table> out;
  // One section per (kernel, params), in report order.
  std::vector<std::pair<std::string, std::string>> kernels;
  for (const auto& r : report.results) {
    if (r.row_type != "aggregate") continue;
    const std::pair<std::string, std::string> k{r.kernel, r.params};
    if (std::find(kernels.begin(), kernels.end(), k) == kernels.end()) kernels.push_back(k);
  }
  for (const auto& [kernel, params] : kernels)
    for (auto& t : kernel_tables(report, suite, kernel, params)) out.push_back(std::move(t));
  if (auto t = break_even_table(report.break_even)) out.push_back(std::move(*t));
  if (auto t = sync_table(report.results)) out.push_back(std::move(*t));
  if (auto t = overhead_table(report.overhead, timer_resolution_ns)) out.push_back(std::move(*t));
  return out;
}

std::string console_layout(const summary_table& t) {
  std::vector<std::size_t> width(t.header.size());
  std::vector<std::vector<std::string>> shown;  // cells as printed: one line each
  shown.reserve(t.rows.size());
  for (const auto& r : t.rows) {
    std::vector<std::string> cells;
    cells.reserve(r.cells.size());
    for (const auto& c : r.cells) cells.push_back(console_text(c));
    shown.push_back(std::move(cells));
  }
  for (std::size_t c = 0; c < width.size(); ++c) {
    width[c] = std::max(t.min_width[c], text_width(t.header[c]));
    for (std::size_t r = 0; r < shown.size(); ++r)
      if (c < shown[r].size() && (t.rows[r].failure.empty() || c < 3))
        width[c] = std::max(width[c], text_width(shown[r][c]));
  }
  const auto line = [&](const std::vector<std::string>& cells, const std::string& failure) {
    std::string out = " ";
    for (std::size_t c = 0; c < cells.size() && c < width.size(); ++c)
      out += fmt::format(
          " {}", pad(cells[c], c + 1 == cells.size() && t.left[c] && failure.empty() ? 0 : width[c], t.left[c]));
    if (!failure.empty()) out += fmt::format("  failed: {}", console_text(failure));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = fmt::format("{}\n{}", t.title, line(t.header, {}));
  for (std::size_t r = 0; r < shown.size(); ++r) out += line(shown[r], t.rows[r].failure);
  for (const auto& n : t.notes) out += fmt::format("  {}\n", console_text(n));
  return out;
}

std::string summary_text(const bench::report& report, const bench::suite& suite, double timer_resolution_ns) {
  std::string out;
  for (const auto& t : summary_tables(report, suite, timer_resolution_ns))
    out += fmt::format("\n{}", console_layout(t));
  return out;
}

std::string sync_text(const std::vector<bench::result_row>& results) {
  const auto t = sync_table(results);
  return t ? fmt::format("\n{}", console_layout(*t)) : std::string();
}

std::string overhead_text(const std::vector<bench::overhead_row>& rows, double timer_resolution_ns) {
  const auto t = overhead_table(rows, timer_resolution_ns);
  return t ? console_layout(*t) : std::string();
}

std::string startup_cell(const bench::overhead_row& row, double timer_resolution_ns) {
  const double per_start_us = timer_resolution_ns / 1000.0 / std::max(1u, row.inner_reps);
  // At or below the timer's resolution per start, or so small that it would print as 0.0 (or -0.0).
  if (row.median_us <= per_start_us || row.median_us < 0.05)
    return fmt::format("<{:.1f}", std::max(0.1, std::ceil(per_start_us * 10.0 - 1e-9) / 10.0));
  return fmt::format("{:.1f}", row.median_us);
}

}  // namespace parbench::cli
