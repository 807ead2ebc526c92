#pragma once
// The one list of report columns: names, order and cell conversions for results.csv,
// overhead.csv and break_even.csv (schema bench::schema_version; each column says which
// schema added it), and the read-only columns of schema 1 with their mapping onto
// current records. The writer, the reader
// and the schema test (docs/report-format.md) all use it.

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/records.hpp"

namespace parbench::reports {

/// One CSV column of a record type.
template <class Row>
struct column {
  std::string_view name;
  bool is_text;  ///< text cells are guarded against formula injection
  std::function<std::string(const Row&)> get;
  /// Sets the field from a cell; throws cell_error when the cell is malformed.
  std::function<void(Row&, std::string_view)> set;
  /// The schema that added the column: files of an older schema (2 and later) lack it.
  int since = 2;
};

/// A malformed cell; the reader adds file, line and column.
class cell_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Columns of results.csv, in file order.
const std::vector<column<bench::result_row>>& result_columns();
/// Columns of overhead.csv, in file order.
const std::vector<column<bench::overhead_row>>& overhead_columns();
/// Columns of break_even.csv, in file order.
const std::vector<column<bench::break_even_row>>& break_even_columns();

/// The schedule that rows read from a schema 1 report get (schema 1 did not record one).
inline constexpr std::string_view schema_1_schedule = "default";

/// Schema 1 columns (read only), in that schema's file order. Each sets the schema-2 field
/// it maps to: samples -> size (and items, unit "samples"), hits -> result, rng -> params
/// "rng=<value>", samples_per_s -> items_per_s, samples_per_s_per_worker ->
/// items_per_s_per_worker, break_even_samples -> break_even_size. overhead.csv is unchanged.
const std::vector<column<bench::result_row>>& result_columns_v1();
const std::vector<column<bench::overhead_row>>& overhead_columns_v1();
const std::vector<column<bench::break_even_row>>& break_even_columns_v1();

/// Completes a record read from schema 1 columns: schema_version becomes the current one,
/// schedule schema_1_schedule, unit "samples" (schema 1 knew only pi).
void complete_v1(bench::result_row& row);
void complete_v1(bench::overhead_row& row);
void complete_v1(bench::break_even_row& row);

/// Completes a record read from an older schema with the current layout (2 .. current - 1):
/// schema_version becomes the current one, and steps 1 (every kernel had one step then).
void complete_older(bench::result_row& row);
void complete_older(bench::overhead_row& row);
void complete_older(bench::break_even_row& row);

/// The text of `row`'s cell in column `name` (as written to the CSV, before quoting);
/// throws usage_error for an unknown column name.
std::string field(const bench::result_row& row, std::string_view name);
std::string field(const bench::overhead_row& row, std::string_view name);
std::string field(const bench::break_even_row& row, std::string_view name);

}  // namespace parbench::reports
