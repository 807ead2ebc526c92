#pragma once
// Plain records that the harness produces and the report writers and readers consume.
// One field per column of docs/report-format.md; a missing value is an empty optional
// (an empty CSV cell). No timing or I/O happens here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parbench::bench {

/// Version of the CSV schemas (the `schema_version` column): the one source of it in the
/// code; bump on any column change. Readers also accept `oldest_schema_version`.
inline constexpr int schema_version = 5;
/// Schema 1 (pi only; `samples`, `hits`, `samples_per_s`, no `schedule`) is still read, and
/// schema 2 (schema 3 without `steps` and the sync_per_step columns), 3 (4 without the
/// conditions columns) and 4 (5 without `pinning`, read as "none").
inline constexpr int oldest_schema_version = 1;

/// One row of results.csv: a counted repetition (row_type "raw") or the aggregate of a
/// configuration (row_type "aggregate"). A configuration is (kernel, kernel_version, params,
/// isa, backend, kind, schedule, scaling, workers, ranks, size, seed): nothing is ever
/// aggregated, compared or used as a speedup reference across configurations of
/// different kernels or parameters.
struct result_row {
  int schema_version = bench::schema_version;
  std::string kernel = "pi";
  int kernel_version = 0;
  std::string params;  ///< the kernel's parameters, canonical: "name=value;name=value"
  std::string isa;     ///< the kernel's instruction-set path (scalar | avx2 | avx512), if any
  std::string backend;
  std::string kind;              ///< backend | peer | reference
  std::string schedule;          ///< the backend's schedule, e.g. "static", "dynamic:4"
  std::string pinning = "none";  ///< none | compact | spread (--pin; schema 5)
  std::string scaling;           ///< strong | weak
  unsigned workers = 1;
  std::optional<unsigned> workers_used;  ///< distinct workers that ran chunks (raw rows)
  unsigned ranks = 1;
  unsigned threads_per_rank = 1;
  std::uint64_t size = 0;  ///< problem size in `unit`
  std::string unit = "samples";
  std::optional<unsigned> steps;  ///< synchronised steps per run (1 for most kernels)
  std::uint64_t seed = 0;
  std::string row_type;  ///< raw | aggregate
  std::optional<unsigned> repetition;
  std::string status;  ///< ok | failed
  std::string error;
  std::string result;                  ///< the kernel's result words, ';'-separated (pi: the hit count)
  std::optional<std::uint64_t> items;  ///< work items one run processes (the kernel's unit)
  std::optional<std::uint64_t> bytes;  ///< bytes one run moves, where the kernel declares it
  std::optional<double> wall_s;
  std::optional<double> cpu_s;
  /// Kernels with memory: the untimed set-up pass before each timed run (first touch and
  /// initialisation by the backend's workers); raw rows, and the median on aggregates.
  std::optional<double> setup_s;
  std::optional<double> items_per_s;
  std::optional<double> bytes_per_s;
  std::optional<double> items_per_s_per_worker;
  std::optional<unsigned> repetitions;
  std::optional<double> wall_s_mean;
  std::optional<double> wall_s_stddev;
  std::optional<double> wall_s_min;
  std::optional<double> wall_s_max;
  std::optional<double> wall_s_cv;
  std::optional<double> speedup;
  std::optional<double> speedup_min;
  std::optional<double> speedup_max;
  std::optional<double> efficiency;
  std::optional<double> karp_flatt;
  /// The best speedup a static block split can reach at this W for this job (aggregates).
  std::optional<double> static_bound;
  /// Stepped kernels (aggregates): (median time - median time of the same work in one step) /
  /// steps, and its range from the extremes of both ([min - max, max - min] / steps).
  std::optional<double> sync_per_step_s;
  std::optional<double> sync_per_step_s_min;
  std::optional<double> sync_per_step_s_max;
  /// The conditions of the measurement (bench/conditions.hpp): raw rows per repetition,
  /// aggregates their median. Schema 4.
  std::optional<double> load1_start;
  std::optional<double> other_cpu;
  std::optional<double> steal;

  // Not columns: the configuration that did the same work in one step, which aggregate()
  // pairs this one with (set by the harness for stepped kernels).
  std::string single_step_params;
  std::optional<std::uint64_t> single_step_size;
};

/// One row of overhead.csv: start-up cost of one mechanism at one worker count.
struct overhead_row {
  int schema_version = bench::schema_version;
  std::string mechanism;
  std::string backend;
  unsigned workers = 1;
  double median_us = 0;
  double min_us = 0;
  double max_us = 0;
  double stddev_us = 0;
  unsigned inner_reps = 0;
  unsigned outer_reps = 0;
  double reference_us = 0;  ///< the subtracted reference loop, per inner repetition
  std::uint64_t parent_rss_bytes = 0;
};

/// One row of break_even.csv: per (kernel, params, backend, schedule, W).
struct break_even_row {
  int schema_version = bench::schema_version;
  std::string kernel = "pi";
  std::string params;
  std::string backend;
  std::string schedule;
  unsigned workers = 1;
  std::optional<std::uint64_t> break_even_size;  ///< empty: never beat serial on the sweep
  std::string unit = "samples";
  std::string sizes_tried;  ///< the sweep, e.g. "65536;262144;1048576"
};

/// Everything one `parbench run` produced.
struct report {
  std::vector<result_row> results;
  std::vector<overhead_row> overhead;
  std::vector<break_even_row> break_even;
};

}  // namespace parbench::bench
