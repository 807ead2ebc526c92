#pragma once
// Plain records that the harness produces and the report writers and readers consume.
// One field per column of docs/report-format.md; a missing value is an empty optional
// (an empty CSV cell). No timing or I/O happens here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parbench::bench {

/// Version of the CSV schemas (the `schema_version` column); bump on any column change.
inline constexpr int schema_version = 1;

/// One row of results.csv: a counted repetition (row_type "raw") or the aggregate of a
/// configuration (row_type "aggregate").
struct result_row {
  int schema_version = bench::schema_version;
  std::string kernel = "pi";
  int kernel_version = 0;
  std::string rng;      ///< philox | light
  std::string isa;      ///< scalar | avx2 | avx512
  std::string backend;
  std::string kind;     ///< backend | peer | reference
  std::string scaling;  ///< strong | weak
  unsigned workers = 1;
  unsigned ranks = 1;
  unsigned threads_per_rank = 1;
  std::uint64_t samples = 0;
  std::uint64_t seed = 0;
  std::string row_type;  ///< raw | aggregate
  std::optional<unsigned> repetition;
  std::string status;  ///< ok | failed
  std::string error;
  std::optional<std::uint64_t> hits;
  std::optional<double> wall_s;
  std::optional<double> cpu_s;
  std::optional<double> samples_per_s;
  std::optional<double> samples_per_s_per_worker;
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

/// One row of break_even.csv.
struct break_even_row {
  int schema_version = bench::schema_version;
  std::string backend;
  std::string rng;
  unsigned workers = 1;
  std::optional<std::uint64_t> break_even_samples;  ///< empty: never beat serial on the sweep
  std::string sizes_tried;                          ///< the sweep, e.g. "65536;262144;1048576"
};

/// Everything one `parbench run` produced.
struct report {
  std::vector<result_row> results;
  std::vector<overhead_row> overhead;
  std::vector<break_even_row> break_even;
};

}  // namespace parbench::bench
