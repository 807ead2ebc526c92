#include "reports/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "core/console_text.hpp"
#include "core/errors.hpp"
#include "reports/compare_conditions.hpp"
#include "reports/markdown_text.hpp"
#include "reports/stats.hpp"

namespace parbench::reports {
namespace {

// Smallest n such that n repetitions per side can reach a two-sided p <= level.
std::size_t repetitions_needed(double level) {
  std::size_t n = 2;
  while (mann_whitney_min_p(n, n) > level && n < 1000) ++n;
  return n;
}

std::string percent(double fraction) { return fmt::format("{:+.1f}%", 100.0 * fraction); }

std::string p_text(double p) { return p >= 0.001 ? fmt::format("{:.4f}", p) : fmt::format("{:.1e}", p); }

// A row without repetitions on a side (verdict failed) has no change, interval or p: "-".
std::string ci_text(const config_comparison& r) {
  if (r.result == verdict::failed) return "-";
  return fmt::format("[{}, {}]", percent(r.ci_low), percent(r.ci_high));
}
std::string change_text(const config_comparison& r) { return r.result == verdict::failed ? "-" : percent(r.change); }
std::string adjusted_p_text(const config_comparison& r) {
  return r.result == verdict::failed ? "-" : p_text(r.p_adjusted);
}
std::string median_text(double median, std::size_t repetitions) {
  return repetitions == 0 ? "-" : fmt::format("{:.4g}", median);
}

std::string meta(const compare_input& in, const std::string& key) {
  const auto it = in.metadata.find(key);
  return it == in.metadata.end() ? std::string() : it->second;
}

}  // namespace

std::string config_key::label() const {
  std::string mpi = ranks > 1 ? fmt::format(" ranks={}x{}", ranks, threads_per_rank) : std::string();
  std::string details = fmt::format("{} v{}", kernel, kernel_version);
  for (const std::string* part : {&params, &isa, &scaling})
    if (!part->empty()) details += " " + *part;
  return fmt::format("{} {} W={}{} n={} ({})", backend, schedule, workers, mpi, size, details);
}

const char* to_string(verdict v) {
  switch (v) {
    case verdict::regressed: return "regressed";
    case verdict::improved: return "improved";
    case verdict::same: return "same";
    case verdict::inconclusive: return "inconclusive";
    case verdict::failed: return "failed";
  }
  return "?";
}

std::size_t comparison::count(verdict v) const {
  return static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [v](const auto& r) { return r.result == v; }));
}

namespace {

// The key without its schedule: what a schema 1 set (schedule not recorded) is matched on.
config_key without_schedule(config_key k) {
  k.schedule.clear();
  return k;
}

struct matched_pair {
  const sample_set* baseline;
  const sample_set* current;
  std::string note;  ///< how a schema 1 set was matched
};

// Matches the schema 1 sets of `legacy_side` left over after exact matching with the
// other side's left-over sets of the same key but for the schedule, when there is exactly one.
void match_schema_1(std::map<config_key, const sample_set*>& legacy_side,
                    std::map<config_key, const sample_set*>& other, bool legacy_is_baseline,
                    std::vector<matched_pair>& matched, std::vector<std::string>& warnings) {
  for (auto it = legacy_side.begin(); it != legacy_side.end();) {
    const sample_set* s = it->second;
    if (s->schema_version != 1) {
      ++it;
      continue;
    }
    std::vector<std::map<config_key, const sample_set*>::iterator> candidates;
    for (auto o = other.begin(); o != other.end(); ++o)
      if (o->second->schema_version != 1 && without_schedule(o->first) == without_schedule(s->key))
        candidates.push_back(o);
    if (candidates.size() != 1) {
      if (candidates.size() > 1) {
        std::vector<std::string> names;
        names.reserve(candidates.size());
        for (const auto& c : candidates) names.push_back(c->first.schedule);
        warnings.push_back(fmt::format(
            "{} comes from a schema 1 report, which did not record the schedule; the other report ran {} schedules "
            "there ({}), so it is not compared",
            s->key.label(), candidates.size(), fmt::join(names, ", ")));
      }
      ++it;
      continue;
    }
    const sample_set* o = candidates.front()->second;
    matched.push_back({legacy_is_baseline ? s : o, legacy_is_baseline ? o : s,
                       fmt::format("{} is schema 1 (schedule not recorded): matched with schedule '{}', the only one "
                                   "the other report ran",
                                   legacy_is_baseline ? "baseline" : "current", o->key.schedule)});
    other.erase(candidates.front());
    it = legacy_side.erase(it);
  }
}

}  // namespace

comparison compare_sets(const std::vector<sample_set>& baseline, const std::vector<sample_set>& current,
                        const compare_options& options) {
  comparison out;
  out.options = options;
  std::map<config_key, const sample_set*> base, cur;
  for (const auto& s : baseline) base[s.key] = &s;
  for (const auto& s : current) cur[s.key] = &s;

  std::vector<matched_pair> matched;
  std::map<config_key, const sample_set*> base_left, cur_left;
  for (const auto& [key, s] : base) {
    if (auto it = cur.find(key); it != cur.end())
      matched.push_back({s, it->second, {}});
    else
      base_left.emplace(key, s);
  }
  for (const auto& [key, s] : cur)
    if (!base.contains(key)) cur_left.emplace(key, s);
  std::vector<std::string> schema_warnings;
  match_schema_1(base_left, cur_left, true, matched, schema_warnings);
  match_schema_1(cur_left, base_left, false, matched, schema_warnings);
  // Shown under the key of the side that recorded the schedule.
  const auto shown_key = [](const matched_pair& m) -> const config_key& {
    return m.baseline->schema_version == 1 ? m.current->key : m.baseline->key;
  };
  std::sort(matched.begin(), matched.end(),
            [&](const matched_pair& a, const matched_pair& b) { return shown_key(a) < shown_key(b); });
  for (const auto& [key, s] : base_left) out.only_baseline.push_back(key);
  for (const auto& [key, s] : cur_left) out.only_current.push_back(key);

  // Every matched configuration counts towards the Holm family, testable or not.
  std::vector<double> p(matched.size(), 1.0);
  for (std::size_t i = 0; i < matched.size(); ++i) {
    const sample_set* b = matched[i].baseline;
    const sample_set* c = matched[i].current;
    if (!b->throughput.empty() && !c->throughput.empty()) p[i] = mann_whitney_u(b->throughput, c->throughput).p_value;
  }
  const std::vector<double> adjusted = holm_adjust(p);
  const double first_step = matched.empty() ? options.alpha : options.alpha / static_cast<double>(matched.size());
  std::size_t short_of_first_step = 0;
  std::size_t measured_differently = 0;

  for (std::size_t i = 0; i < matched.size(); ++i) {
    const sample_set* b = matched[i].baseline;
    const sample_set* c = matched[i].current;
    config_comparison r;
    r.key = shown_key(matched[i]);
    r.unit = c->unit;
    r.n_baseline = b->throughput.size();
    r.n_current = c->throughput.size();
    r.p_value = p[i];
    r.p_adjusted = adjusted[i];
    std::vector<std::string> notes;
    if (!matched[i].note.empty()) notes.push_back(matched[i].note);
    if (b->failed + c->failed > 0)
      notes.push_back(fmt::format("failed repetitions: {} baseline, {} current", b->failed, c->failed));
    if (r.n_baseline == 0 || r.n_current == 0) {
      // A run that failed never passes the gate; the side that did run still shows its figure.
      r.result = verdict::failed;
      if (r.n_baseline > 0) r.baseline_median = median(b->throughput);
      if (r.n_current > 0) r.current_median = median(c->throughput);
      for (const auto& [side, set] : {std::pair{"the baseline", b}, std::pair{"the current report", c}})
        if (set->throughput.empty())
          notes.push_back(fmt::format("no successful repetition in {}{}", side,
                                      set->error.empty() ? "" : fmt::format(" ({})", set->error)));
      r.note = fmt::format("{}", fmt::join(notes, "; "));
      out.rows.push_back(std::move(r));
      continue;
    }
    r.baseline_median = median(b->throughput);
    r.current_median = median(c->throughput);
    r.change = r.current_median / r.baseline_median - 1.0;
    // The interval is for the ratio current/baseline: a shift of log throughput.
    std::vector<double> lb, lc;
    for (double v : b->throughput) lb.push_back(std::log(v));
    for (double v : c->throughput) lc.push_back(std::log(v));
    const shift_estimate hl = hodges_lehmann(lb, lc, 1.0 - options.alpha);
    r.ci_low = std::expm1(hl.low);
    r.ci_high = std::expm1(hl.high);
    r.ci_confidence = hl.confidence;

    const double min_p = mann_whitney_min_p(r.n_baseline, r.n_current);
    if (min_p > first_step) ++short_of_first_step;
    // How long a repetition lasted: its run, or the --min-time it was repeated for.
    const auto duration = [](const sample_set& set) {
      return set.wall_s.empty() ? -1.0 : std::max(median(set.wall_s), set.min_time_s);
    };
    const double shortest = std::min(duration(*b), duration(*c));
    const bool significant = r.p_adjusted <= options.alpha;
    const double t = options.threshold;
    if (shortest >= 0 && shortest < options.min_repetition_s) {
      // Scheduler noise is of the order of milliseconds: such repetitions are not judged.
      r.result = verdict::inconclusive;
      notes.push_back(
          fmt::format("too short to time reliably: repetitions of {:.3g} ms (under {:.3g} ms); lengthen "
                      "them with a larger size or run --min-time",
                      1e3 * shortest, 1e3 * options.min_repetition_s));
    } else if (min_p > options.alpha) {
      r.result = verdict::inconclusive;
      notes.push_back(
          fmt::format("{} vs {} repetitions can never reach p <= {} (smallest possible p = {}); take at "
                      "least {} per side",
                      r.n_baseline, r.n_current, options.alpha, p_text(min_p), repetitions_needed(options.alpha)));
    } else if (significant && r.ci_high < -t) {
      // The whole interval beyond the threshold, not only the point estimate: on a noisy runner
      // a change whose interval reaches inside the threshold is not called.
      r.result = verdict::regressed;
    } else if (significant && r.ci_low > t) {
      r.result = verdict::improved;
    } else if (significant && (r.change <= -t || r.change >= t)) {
      r.result = verdict::inconclusive;
      notes.push_back(
          fmt::format("the change is beyond the {} threshold, but its interval [{}, {}] reaches inside it; "
                      "take more repetitions",
                      percent(t).substr(1), percent(r.ci_low), percent(r.ci_high)));
    } else if (t > 0 && r.ci_low > -t && r.ci_high < t) {
      r.result = verdict::same;
    } else if (significant) {
      r.result = verdict::same;
      notes.push_back(fmt::format("significant, but the change is within the {} threshold", percent(t).substr(1)));
    } else if (min_p > first_step) {
      r.result = verdict::inconclusive;
      notes.push_back(
          fmt::format("not significant after Holm over {} configurations: {} vs {} repetitions give at "
                      "best p = {} before correction; take at least {} per side",
                      matched.size(), r.n_baseline, r.n_current, p_text(min_p), repetitions_needed(first_step)));
    } else {
      r.result = verdict::inconclusive;
      notes.push_back(fmt::format("too noisy to tell: the interval reaches beyond +-{}", percent(t).substr(1)));
    }
    const conditions_difference seen = compare_conditions(b->conditions, c->conditions);
    r.conditions = seen.text;
    r.conditions_badly = seen.badly;
    if (!seen.text.empty()) {
      ++measured_differently;
      const bool judged = r.result == verdict::regressed || r.result == verdict::improved;
      notes.push_back(fmt::format("{}: {}",
                                  seen.badly && judged ? "verdict made under conditions that differ badly"
                                                       : "measured under different conditions",
                                  seen.text));
    }
    r.note = fmt::format("{}", fmt::join(notes, "; "));
    out.rows.push_back(std::move(r));
  }
  if (measured_differently > 0)
    out.warnings.push_back(fmt::format(
        "{} of {} configurations were measured under different conditions on the two sides (notes in the table); "
        "load that changes between runs is cancelled by interleaving them: parbench ab (docs/ci.md)",
        measured_differently, matched.size()));
  if (short_of_first_step > 0)
    out.warnings.push_back(fmt::format(
        "{} of {} configurations have too few repetitions for Holm's correction over {} configurations (the first "
        "step needs p <= {:.4g}); use at least {} repetitions per side to be able to detect a change everywhere",
        short_of_first_step, matched.size(), matched.size(), first_step, repetitions_needed(first_step)));
  out.warnings.insert(out.warnings.end(), schema_warnings.begin(), schema_warnings.end());
  if (!out.only_baseline.empty())
    out.warnings.push_back(fmt::format("{} configurations only in the baseline", out.only_baseline.size()));
  if (!out.only_current.empty())
    out.warnings.push_back(fmt::format("{} configurations only in the current report", out.only_current.size()));
  return out;
}

std::vector<std::string> check_comparable(const compare_input& baseline, const compare_input& current,
                                          const compare_options& options) {
  // Kernel versions: never comparable, whatever the flags say.
  auto versions = [](const compare_input& in) {
    std::map<std::string, std::set<std::string>> v;
    for (const auto& s : in.sets) v[s.key.kernel].insert(s.key.kernel_version);
    return v;
  };
  const auto vb = versions(baseline), vc = versions(current);
  for (const auto& [kernel, bset] : vb) {
    const auto it = vc.find(kernel);
    if (it != vc.end() && it->second != bset)
      throw usage_error(fmt::format(
          "kernel '{}' is version {} in {} but version {} in {}: timings of different kernel versions are not "
          "comparable; record a new baseline with this parbench",
          kernel, fmt::join(bset, ","), (baseline.dir / "results.csv").string(), fmt::join(it->second, ","),
          (current.dir / "results.csv").string()));
  }

  const std::string bname = (baseline.dir / "metadata.json").string();
  const std::string cname = (current.dir / "metadata.json").string();
  // Keys of the flattened metadata (compare.hpp).
  static const char* const identity[] = {"machine.cpu_model", "machine.logical_cpus", "build.type"};
  for (const char* key : identity) {
    const std::string b = meta(baseline, key);
    const std::string c = meta(current, key);
    if (b == c && !b.empty()) continue;
    if (options.allow_different_machines) continue;
    if (b.empty() || c.empty())
      throw usage_error(
          fmt::format("{} has no {}: cannot tell whether both reports come from the same machine "
                      "and build; pass --allow-different-machines to compare anyway",
                      b.empty() ? bname : cname, key));
    throw usage_error(
        fmt::format("the reports come from different {}: {} is '{}' in {} but '{}' in {}; timings "
                    "from different machines or build types are not comparable (pass "
                    "--allow-different-machines to compare anyway)",
                    std::string(key) == "build.type" ? "build types" : "machines", key, b, bname, c, cname));
  }

  std::vector<std::string> warnings;
  auto warn_if_differs = [&](const std::string& key) {
    const std::string b = meta(baseline, key);
    const std::string c = meta(current, key);
    if (b != c) warnings.push_back(fmt::format("{} differs: '{}' (baseline) vs '{}' (current)", key, b, c));
  };
  if (options.allow_different_machines)
    for (const char* key : identity) warn_if_differs(key);
  for (const char* key : {"build.compiler", "build.flags", "build.isa", "build.native", "parbench_version"})
    warn_if_differs(key);
  std::set<std::string> libraries;
  for (const auto* in : {&baseline, &current})
    for (const auto& [key, value] : in->metadata)
      if (key.rfind("libraries.", 0) == 0) libraries.insert(key);
  for (const auto& key : libraries) warn_if_differs(key);
  // Measurement conditions of the whole run (per repetition: compare_conditions).
  if (const std::string b = meta(baseline, "machine.governor"), c = meta(current, "machine.governor"); b != c)
    warnings.push_back(
        fmt::format("the CPU frequency governor differs: '{}' (baseline) vs '{}' (current); "
                    "frequency scaling can change throughput by itself",
                    b, c));
  // Where the workers ran (reports before schema 5 did not pin).
  const auto pinning = [](const compare_input& in) {
    const std::string p = meta(in, "suite.pin");
    return p.empty() ? std::string("none") : p;
  };
  if (const std::string b = pinning(baseline), c = pinning(current); b != c)
    warnings.push_back(
        fmt::format("the pinning differs: --pin {} (baseline) vs --pin {} (current); where workers run "
                    "changes throughput by itself",
                    b, c));
  if (const std::string b = meta(baseline, "machine.topology.allowed_cpus"),
      c = meta(current, "machine.topology.allowed_cpus");
      !b.empty() && !c.empty() && b != c)
    warnings.push_back(fmt::format("the CPUs the process could use differ: {} (baseline) vs {} (current)", b, c));
  const auto load_per_cpu = [](const compare_input& in) -> std::optional<double> {
    // "[1.5,0.7,0.3]": the 1-minute load average when the run started, per logical CPU.
    const std::string load = meta(in, "machine.load_average_start");
    const std::string cpus = meta(in, "machine.logical_cpus");
    if (load.size() < 2 || load.front() != '[' || cpus.empty()) return std::nullopt;
    char* end = nullptr;
    const double l = std::strtod(load.c_str() + 1, &end);
    const double n = std::strtod(cpus.c_str(), nullptr);
    if (end == load.c_str() + 1 || !std::isfinite(l) || !(n >= 1)) return std::nullopt;
    return l / n;
  };
  if (const auto b = load_per_cpu(baseline), c = load_per_cpu(current); b && c && std::abs(*c - *b) >= 0.5)
    warnings.push_back(
        fmt::format("the load at the start differs: {:.2f} (baseline) vs {:.2f} (current) per CPU; "
                    "other work competed for the cores on one side",
                    *b, *c));
  return warnings;
}

namespace {
// " (commit 1a2b3c4, Intel Xeon ... on host)": which build and machine a report is from.
std::string identity(const compare_input& in) {
  std::vector<std::string> parts;
  if (const std::string commit = meta(in, "git_commit"); !commit.empty())
    parts.push_back("commit " + commit.substr(0, 12));
  std::string machine = meta(in, "machine.cpu_model");
  if (const std::string host = meta(in, "machine.hostname"); !host.empty())
    machine += (machine.empty() ? "" : " on ") + host;
  if (!machine.empty()) parts.push_back(machine);
  return parts.empty() ? std::string() : fmt::format(" ({})", fmt::join(parts, ", "));
}
}  // namespace

comparison compare_reports(const compare_input& baseline, const compare_input& current,
                           const compare_options& options) {
  std::vector<std::string> warnings = check_comparable(baseline, current, options);
  comparison out = compare_sets(baseline.sets, current.sets, options);
  warnings.insert(warnings.end(), out.warnings.begin(), out.warnings.end());
  out.warnings = std::move(warnings);
  for (const auto* in : {&baseline, &current}) out.notes.insert(out.notes.end(), in->notes.begin(), in->notes.end());
  out.baseline_identity = identity(baseline);
  out.current_identity = identity(current);
  return out;
}

void enforce_gate(const comparison& c, std::string_view direction) {
  if (c.rows.empty()) throw usage_error("the reports have no configuration in common: nothing was compared");
  // A failed run never passes the gate, with --strict or without.
  if (const std::size_t n = c.count(verdict::failed); n > 0)
    throw run_error(
        fmt::format("{} of {} configurations have no successful repetition on one side (verdict "
                    "'failed' above, with the reason): fix the run and measure again",
                    n, c.rows.size()));
  if (const std::size_t n = c.count(verdict::regressed); n > 0)
    throw error(exit_code::regression,
                fmt::format("{} of {} configurations regressed{} (see the table above)", n, c.rows.size(),
                            direction.empty() ? "" : fmt::format(" {}", direction)));
}

std::string format_console(const comparison& c) {
  std::string out;
  // Labels, units, notes and warnings carry text from the reports: console_text keeps each on its line.
  for (const auto& n : c.notes) out += fmt::format("note: {}\n", console_text(n));
  std::size_t width = 13;
  for (const auto& r : c.rows) width = std::max(width, console_text(r.key.label()).size());
  const int conf = static_cast<int>(std::lround(100 * (1 - c.options.alpha)));
  std::size_t unit_width = 4;
  for (const auto& r : c.rows) unit_width = std::max(unit_width, console_text(r.unit).size() + 2);
  out += fmt::format("{:<{}}  {:>7}  {:>11}  {:>11}  {:<{}}  {:>7}  {:>17}  {:>9}  {}\n", "configuration", width,
                     "reps", "baseline", "current", "unit", unit_width, "change", fmt::format("{}% CI", conf),
                     "p (Holm)", "verdict");
  for (const auto& r : c.rows) {
    out += fmt::format("{:<{}}  {:>7}  {:>11}  {:>11}  {:<{}}  {:>7}  {:>17}  {:>9}  {}", console_text(r.key.label()),
                       width, fmt::format("{}/{}", r.n_baseline, r.n_current),
                       median_text(r.baseline_median, r.n_baseline), median_text(r.current_median, r.n_current),
                       console_text(r.unit) + "/s", unit_width, change_text(r), ci_text(r), adjusted_p_text(r),
                       to_string(r.result));
    if (!r.note.empty()) out += fmt::format("  ({})", console_text(r.note));
    out += '\n';
  }
  for (const auto& k : c.only_baseline) out += fmt::format("only in baseline: {}\n", console_text(k.label()));
  for (const auto& k : c.only_current) out += fmt::format("only in current:  {}\n", console_text(k.label()));
  for (const auto& w : c.warnings) out += fmt::format("warning: {}\n", console_text(w));
  out += fmt::format(
      "{} configurations: {} regressed, {} improved, {} same, {} inconclusive, {} failed (threshold {}, alpha {}, "
      "Holm over {})\n",
      c.rows.size(), c.count(verdict::regressed), c.count(verdict::improved), c.count(verdict::same),
      c.count(verdict::inconclusive), c.count(verdict::failed), percent(c.options.threshold).substr(1), c.options.alpha,
      c.rows.size());
  return out;
}

std::string format_markdown(const comparison& c, const std::string& baseline_name, const std::string& current_name) {
  std::string out;
  const std::size_t regressed = c.count(verdict::regressed);
  const std::size_t failed = c.count(verdict::failed);
  if (failed > 0)
    out += fmt::format("## parbench compare: {} failed{}\n\n", failed,
                       regressed > 0 ? fmt::format(", {} regressed", regressed) : std::string());
  else
    out += regressed > 0 ? fmt::format("## parbench compare: {} regressed\n\n", regressed)
                         : std::string("## parbench compare: no regression\n\n");
  out += fmt::format(
      "Baseline {}{}, current {}{}. Threshold {}, alpha {} (Holm over {} configurations); change is "
      "of the median throughput (the kernel's items per second, higher is better).\n\n",
      markdown_text(baseline_name), markdown_text(c.baseline_identity), markdown_text(current_name),
      markdown_text(c.current_identity), percent(c.options.threshold).substr(1), c.options.alpha, c.rows.size());
  for (const auto& n : c.notes) out += fmt::format("Note: {}\n\n", markdown_text(n));
  // For a pull request: what needs attention first, then improvements, the rest folded away.
  const int conf = static_cast<int>(std::lround(100 * (1 - c.options.alpha)));
  const std::string header = fmt::format(
      "| configuration | reps | baseline | current | unit | change | {}% CI | p (Holm) | verdict | note |\n"
      "|---|---:|---:|---:|---|---:|---:|---:|---|---|\n",
      conf);
  const auto table = [&](const std::function<bool(verdict)>& wanted) {
    std::string rows;
    for (const auto& r : c.rows) {
      if (!wanted(r.result)) continue;
      const std::string v = r.result == verdict::regressed  ? "**regressed**"
                            : r.result == verdict::failed   ? "**failed**"
                            : r.result == verdict::improved ? "improved"
                                                            : to_string(r.result);
      rows += fmt::format("| {} | {}/{} | {} | {} | {}/s | {} | {} | {} | {} | {} |\n", markdown_text(r.key.label()),
                          r.n_baseline, r.n_current, median_text(r.baseline_median, r.n_baseline),
                          median_text(r.current_median, r.n_current), markdown_text(r.unit), change_text(r), ci_text(r),
                          adjusted_p_text(r), v, markdown_text(r.note));
    }
    return rows.empty() ? rows : header + rows;
  };
  const std::string attention = table([](verdict v) { return v == verdict::regressed || v == verdict::failed; });
  const std::string improvements = table([](verdict v) { return v == verdict::improved; });
  const std::string rest = table([](verdict v) { return v == verdict::same || v == verdict::inconclusive; });
  if (!attention.empty()) out += "### Regressed or failed\n\n" + attention + "\n";
  if (!improvements.empty()) out += "### Improved\n\n" + improvements + "\n";
  if (!rest.empty()) {
    const std::size_t n = c.count(verdict::same) + c.count(verdict::inconclusive);
    out += fmt::format("<details><summary>{} configuration{} unchanged or inconclusive</summary>\n\n{}\n</details>\n",
                       n, n == 1 ? "" : "s", rest);
  }
  out += fmt::format("\n{} regressed, {} improved, {} same, {} inconclusive, {} failed.\n", regressed,
                     c.count(verdict::improved), c.count(verdict::same), c.count(verdict::inconclusive), failed);
  if (!c.only_baseline.empty() || !c.only_current.empty()) {
    out += "\nConfigurations on one side only:\n\n";
    for (const auto& k : c.only_baseline) out += fmt::format("- baseline only: {}\n", markdown_text(k.label()));
    for (const auto& k : c.only_current) out += fmt::format("- current only: {}\n", markdown_text(k.label()));
  }
  if (!c.warnings.empty()) {
    out += "\nWarnings:\n\n";
    for (const auto& w : c.warnings) out += fmt::format("- {}\n", markdown_text(w));
  }
  return out;
}

}  // namespace parbench::reports
