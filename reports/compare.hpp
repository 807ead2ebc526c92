#pragma once
// The regression gate: compares the raw repetitions of two reports configuration by
// configuration (two-sided Mann-Whitney U, Holm correction, minimum effect size).
// Reading (compare_reader.cpp) validates strictly; comparing (compare.cpp) never does I/O.

#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace parbench::reports {

/// What identifies one configuration across reports: rows of different kernels, parameters
/// or schedules are never compared.
struct config_key {
  std::string kernel;
  std::string kernel_version;
  std::string params;  ///< canonical "name=value;name=value"
  std::string isa;
  std::string backend;
  std::string schedule;  ///< schema 1 reports: schema_1_schedule ("default")
  std::string scaling;
  unsigned workers = 1;
  unsigned ranks = 1;
  unsigned threads_per_rank = 1;
  std::uint64_t size = 0;

  auto operator<=>(const config_key&) const = default;
  /// Short human-readable name, e.g. "threads static W=2 n=1000000 (pi v1 rng=philox avx2 strong)".
  [[nodiscard]] std::string label() const;
};

/// What the ok repetitions of a configuration were measured under (results.csv schema 4 and
/// cpu_s): one value per repetition that recorded it, empty where the report does not.
struct measurement_conditions {
  std::vector<double> other_cpu;     ///< share of the machine other processes used (0..1)
  std::vector<double> steal;         ///< share of the machine stolen by the hypervisor (0..1)
  std::vector<double> load1_start;   ///< 1-minute load average at the start
  std::vector<double> cpu_per_wall;  ///< cpu_s / wall_s: CPUs kept busy by the run
};

/// The ok raw repetitions of one configuration: throughput in the kernel's items/s (higher
/// is better).
struct sample_set {
  config_key key;
  std::vector<double> throughput;
  std::size_t failed = 0;      ///< raw rows with status=failed (excluded from `throughput`)
  std::string error;           ///< the first failed row's error, where the report has the column
  std::vector<double> wall_s;  ///< seconds of each ok repetition (per iteration; empty if unknown)
  measurement_conditions conditions;
  double min_time_s = 0;         ///< the run's --min-time: each repetition lasted at least this long
  std::string unit = "samples";  ///< the kernel's unit of work
  /// The schema of the report it was read from. A schema 1 set's schedule was not recorded:
  /// compare_sets matches it with the other side's only schedule for that configuration.
  int schema_version = 0;
};

/// A report as the gate sees it.
struct compare_input {
  std::filesystem::path dir;
  /// metadata.json flattened: "machine.cpu_model" -> "AMD EPYC", "libraries.onetbb" -> "2021.8";
  /// strings as they are, other values as JSON text.
  std::map<std::string, std::string> metadata;
  std::vector<sample_set> sets;  ///< sorted by key
  int schema_version = 0;        ///< of results.csv
  /// What the reader wants said, e.g. "note: r/ is a schema 1 report (read as kernel pi)".
  std::vector<std::string> notes;
};

/// Reads `dir`/results.csv and `dir`/metadata.json, of any schema from
/// bench::oldest_schema_version to bench::schema_version. Throws usage_error whose message starts with
/// "file:line:column:" for: a missing or empty file, missing or unknown schema_version, missing
/// columns, ragged rows, bad quoting, non-numeric cells, NaN, infinite or non-positive timings.
[[nodiscard]] compare_input read_compare_input(const std::filesystem::path& dir);

/// The gate's knobs.
struct compare_options {
  double threshold = 0.05;  ///< minimum relative change of the median to call a regression
  double alpha = 0.05;      ///< family-wise significance level (Holm)
  bool strict = false;      ///< configurations on one side only are an error
  bool allow_different_machines = false;
  /// Repetitions shorter than this (median, either side) are too short to time reliably: the
  /// configuration is reported as such (inconclusive), not judged.
  double min_repetition_s = 0.01;
};

/// `failed`: a side has no successful repetition of the configuration; the gate fails on it.
enum class verdict { regressed, improved, same, inconclusive, failed };
[[nodiscard]] const char* to_string(verdict v);

/// The comparison of one configuration present in both reports.
struct config_comparison {
  config_key key;
  std::size_t n_baseline = 0;
  std::size_t n_current = 0;
  std::string unit;            ///< of the throughput: the kernel's unit per second
  double baseline_median = 0;  ///< unit/s
  double current_median = 0;
  double change = 0;  ///< current_median / baseline_median - 1
  double ci_low = 0;  ///< confidence interval of the change (Hodges-Lehmann/Moses, log scale)
  double ci_high = 0;
  double ci_confidence = 0;  ///< achieved coverage of [ci_low, ci_high]
  double p_value = 1;        ///< two-sided Mann-Whitney U
  double p_adjusted = 1;     ///< Holm over all compared configurations
  verdict result = verdict::inconclusive;
  std::string note;  ///< why, when not obvious
  /// How the two sides' measurement conditions differ, where they differ enough to matter
  /// (conditions_differ); empty when alike or not recorded. `badly`: the difference can by
  /// itself explain a change of the threshold's size, and the note says the verdict was made so.
  std::string conditions;
  bool conditions_badly = false;
};

/// The whole comparison.
struct comparison {
  std::vector<config_comparison> rows;
  std::vector<config_key> only_baseline;
  std::vector<config_key> only_current;
  std::vector<std::string> warnings;
  std::vector<std::string> notes;  ///< printed first, e.g. that a report is schema 1
  compare_options options;
  /// " (commit 1a2b3c4, <cpu model> on <host>)" for each side, where its metadata says
  /// (compare_reports); empty for bare sample sets.
  std::string baseline_identity;
  std::string current_identity;

  [[nodiscard]] std::size_t count(verdict v) const;
};

/// Compares matched configurations. Configurations match on their whole key; a schema 1
/// set (schedule not recorded) that has no exact match matches the other side's set with the
/// same key but for the schedule when there is exactly one such set (the backend ran one
/// schedule there); with several it stays one-sided and a warning says why. A configuration is `regressed` when its
/// Holm-adjusted p-value is <= alpha and the whole confidence interval of the change lies below -threshold;
/// `improved` likewise above +threshold; `same` when the confidence interval of the change lies within
/// +-threshold, or the change is significant but smaller than the threshold; `inconclusive`
/// otherwise (too few repetitions to ever reach significance, or too noisy to tell).
[[nodiscard]] comparison compare_sets(const std::vector<sample_set>& baseline, const std::vector<sample_set>& current,
                                      const compare_options& options);

/// Checks that two reports may be compared. Throws usage_error for different machines
/// (machine.cpu_model, machine.logical_cpus) or build types unless allow_different_machines,
/// and always for different kernel versions. Returns warnings (different compilers, flags,
/// library versions, parbench versions).
[[nodiscard]] std::vector<std::string> check_comparable(const compare_input& baseline, const compare_input& current,
                                                        const compare_options& options);

/// The whole gate on two read reports: check_comparable, then compare_sets; the result
/// carries both inputs' notes and check_comparable's warnings before compare_sets' own.
[[nodiscard]] comparison compare_reports(const compare_input& baseline, const compare_input& current,
                                         const compare_options& options);

/// The gate's exit: throws usage_error when nothing was compared, run_error (exit 3) when a
/// configuration is `failed`, error(regression) (exit 1) when one regressed; `direction` names
/// the comparison in the message (e.g. "from A to B"). Returns when the gate passes.
void enforce_gate(const comparison& c, std::string_view direction);

/// A fixed-width console table with the verdicts, warnings and one-sided configurations.
[[nodiscard]] std::string format_console(const comparison& c);

/// The same as GitHub-flavoured markdown, for CI step summaries and PR comments.
[[nodiscard]] std::string format_markdown(const comparison& c, const std::string& baseline_name,
                                          const std::string& current_name);

}  // namespace parbench::reports
