#include "reports/report_columns.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <type_traits>

#include "core/errors.hpp"
#include "reports/csv.hpp"

namespace parbench::reports {
namespace {

using bench::break_even_row;
using bench::overhead_row;
using bench::result_row;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

std::string to_cell(const std::string& v) { return v; }
std::string to_cell(double v) { return csv_number(std::optional<double>(v)); }
template <class T>
requires std::is_integral_v<T> std::string to_cell(T v) { return std::to_string(v); }
template <class T>
std::string to_cell(const std::optional<T>& v) {
  return v ? to_cell(*v) : std::string();
}

void from_cell(std::string_view s, std::string& v) { v = std::string(s); }

template <class T>
requires std::is_integral_v<T>
void from_cell(std::string_view s, T& v) {
  T out{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size())
    throw cell_error(fmt::format("'{}' is not a whole number in range", s));
  v = out;
}

void from_cell(std::string_view s, double& v) {
  if (s == "nan") {
    v = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  if (s == "inf" || s == "-inf") {
    v = s == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    return;
  }
  const std::string text(s);
  char* end = nullptr;
  errno = 0;
  const double out = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || text.front() == ' ' || !std::isfinite(out))
    throw cell_error(fmt::format("'{}' is not a number", s));
  v = out;
}

template <class T>
void from_cell(std::string_view s, std::optional<T>& v) {
  if (s.empty()) {
    v.reset();
    return;
  }
  T out{};
  from_cell(s, out);
  v = out;
}

template <class Row, class T>
column<Row> col(std::string_view name, T Row::*member, int since = 2) {
  return column<Row>{name, std::is_same_v<T, std::string>, [member](const Row& r) { return to_cell(r.*member); },
                     [member](Row& r, std::string_view s) { from_cell(s, r.*member); }, since};
}

// Schema 1's `rng` column: the pi kernel's only parameter, params "rng=<value>".
template <class Row>
column<Row> rng_col() {
  return column<Row>{
      "rng", true,
      [](const Row& r) {
        constexpr std::string_view prefix = "rng=";
        const std::string_view p = r.params;
        return std::string(p.substr(0, prefix.size()) == prefix ? p.substr(prefix.size()) : p);
      },
      [](Row& r, std::string_view s) { r.params = s.empty() ? std::string() : "rng=" + std::string(s); }};
}

template <class Row>
std::string field_of(const std::vector<column<Row>>& columns, const Row& row, std::string_view name) {
  for (const auto& c : columns)
    if (c.name == name) return c.get(row);
  throw usage_error(fmt::format("no report column named '{}'", name));
}

}  // namespace

const std::vector<column<result_row>>& result_columns() {
  using r = result_row;
  static const std::vector<column<r>> columns = {
      col("schema_version", &r::schema_version),
      col("kernel", &r::kernel),
      col("kernel_version", &r::kernel_version),
      col("params", &r::params),
      col("isa", &r::isa),
      col("backend", &r::backend),
      col("kind", &r::kind),
      col("schedule", &r::schedule),
      col("pinning", &r::pinning, 5),
      col("scaling", &r::scaling),
      col("workers", &r::workers),
      col("workers_used", &r::workers_used),
      col("ranks", &r::ranks),
      col("threads_per_rank", &r::threads_per_rank),
      col("size", &r::size),
      col("unit", &r::unit),
      col("steps", &r::steps, 3),
      col("seed", &r::seed),
      col("row_type", &r::row_type),
      col("repetition", &r::repetition),
      col("status", &r::status),
      col("error", &r::error),
      col("result", &r::result),
      col("items", &r::items),
      col("bytes", &r::bytes),
      col("wall_s", &r::wall_s),
      col("cpu_s", &r::cpu_s),
      col("setup_s", &r::setup_s, 3),
      col("items_per_s", &r::items_per_s),
      col("bytes_per_s", &r::bytes_per_s),
      col("items_per_s_per_worker", &r::items_per_s_per_worker),
      col("repetitions", &r::repetitions),
      col("wall_s_mean", &r::wall_s_mean),
      col("wall_s_stddev", &r::wall_s_stddev),
      col("wall_s_min", &r::wall_s_min),
      col("wall_s_max", &r::wall_s_max),
      col("wall_s_cv", &r::wall_s_cv),
      col("speedup", &r::speedup),
      col("speedup_min", &r::speedup_min),
      col("speedup_max", &r::speedup_max),
      col("efficiency", &r::efficiency),
      col("karp_flatt", &r::karp_flatt),
      col("static_bound", &r::static_bound),
      col("sync_per_step_s", &r::sync_per_step_s, 3),
      col("sync_per_step_s_min", &r::sync_per_step_s_min, 3),
      col("sync_per_step_s_max", &r::sync_per_step_s_max, 3),
      col("load1_start", &r::load1_start, 4),
      col("other_cpu", &r::other_cpu, 4),
      col("steal", &r::steal, 4),
  };
  return columns;
}

const std::vector<column<overhead_row>>& overhead_columns() {
  using r = overhead_row;
  static const std::vector<column<r>> columns = {
      col("schema_version", &r::schema_version),
      col("mechanism", &r::mechanism),
      col("backend", &r::backend),
      col("workers", &r::workers),
      col("median_us", &r::median_us),
      col("min_us", &r::min_us),
      col("max_us", &r::max_us),
      col("stddev_us", &r::stddev_us),
      col("inner_reps", &r::inner_reps),
      col("outer_reps", &r::outer_reps),
      col("reference_us", &r::reference_us),
      col("parent_rss_bytes", &r::parent_rss_bytes),
  };
  return columns;
}

const std::vector<column<break_even_row>>& break_even_columns() {
  using r = break_even_row;
  static const std::vector<column<r>> columns = {
      col("schema_version", &r::schema_version),
      col("kernel", &r::kernel),
      col("params", &r::params),
      col("backend", &r::backend),
      col("schedule", &r::schedule),
      col("workers", &r::workers),
      col("break_even_size", &r::break_even_size),
      col("unit", &r::unit),
      col("sizes_tried", &r::sizes_tried),
  };
  return columns;
}

// Schema 1 (pi only): each column sets the schema-2 field it maps to (docs/report-format.md,
// "Reading schema 1"); the getters give the schema-1 text of a pi row.
const std::vector<column<result_row>>& result_columns_v1() {
  using r = result_row;
  static const std::vector<column<r>> columns = {
      col("schema_version", &r::schema_version),
      col("kernel", &r::kernel),
      col("kernel_version", &r::kernel_version),
      rng_col<r>(),
      col("isa", &r::isa),
      col("backend", &r::backend),
      col("kind", &r::kind),
      col("scaling", &r::scaling),
      col("workers", &r::workers),
      col("ranks", &r::ranks),
      col("threads_per_rank", &r::threads_per_rank),
      column<r>{"samples", false, [](const r& row) { return to_cell(row.size); },
                [](r& row, std::string_view s) {
                  from_cell(s, row.size);
                  row.items = row.size;
                  row.unit = "samples";
                }},
      col("seed", &r::seed),
      col("row_type", &r::row_type),
      col("repetition", &r::repetition),
      col("status", &r::status),
      col("error", &r::error),
      column<r>{"hits", false, [](const r& row) { return row.result; },
                [](r& row, std::string_view s) {
                  std::optional<std::uint64_t> hits;
                  from_cell(s, hits);
                  row.result = to_cell(hits);
                }},
      col("wall_s", &r::wall_s),
      col("cpu_s", &r::cpu_s),
      col("samples_per_s", &r::items_per_s),
      col("samples_per_s_per_worker", &r::items_per_s_per_worker),
      col("repetitions", &r::repetitions),
      col("wall_s_mean", &r::wall_s_mean),
      col("wall_s_stddev", &r::wall_s_stddev),
      col("wall_s_min", &r::wall_s_min),
      col("wall_s_max", &r::wall_s_max),
      col("wall_s_cv", &r::wall_s_cv),
      col("speedup", &r::speedup),
      col("speedup_min", &r::speedup_min),
      col("speedup_max", &r::speedup_max),
      col("efficiency", &r::efficiency),
      col("karp_flatt", &r::karp_flatt),
  };
  return columns;
}

const std::vector<column<overhead_row>>& overhead_columns_v1() { return overhead_columns(); }

const std::vector<column<break_even_row>>& break_even_columns_v1() {
  using r = break_even_row;
  static const std::vector<column<r>> columns = {
      col("schema_version", &r::schema_version),
      col("backend", &r::backend),
      rng_col<r>(),
      col("workers", &r::workers),
      col("break_even_samples", &r::break_even_size),
      col("sizes_tried", &r::sizes_tried),
  };
  return columns;
}

void complete_v1(result_row& row) {
  row.schema_version = bench::schema_version;
  row.schedule = std::string(schema_1_schedule);
  row.unit = "samples";
  row.steps = 1;
}

void complete_v1(break_even_row& row) {
  row.schema_version = bench::schema_version;
  row.schedule = std::string(schema_1_schedule);
  row.unit = "samples";
}

void complete_v1(overhead_row& row) { row.schema_version = bench::schema_version; }

void complete_older(result_row& row) {
  row.schema_version = bench::schema_version;
  if (!row.steps) row.steps = 1;
}
void complete_older(overhead_row& row) { row.schema_version = bench::schema_version; }
void complete_older(break_even_row& row) { row.schema_version = bench::schema_version; }

std::string field(const result_row& row, std::string_view name) { return field_of(result_columns(), row, name); }
std::string field(const overhead_row& row, std::string_view name) { return field_of(overhead_columns(), row, name); }
std::string field(const break_even_row& row, std::string_view name) {
  return field_of(break_even_columns(), row, name);
}

}  // namespace parbench::reports
