#pragma once
// Reads a report's CSV files back into records (used by `parbench compare` and tests).
// Every problem is a usage_error "file:line:column: problem"; nothing here exits.

#include <string>
#include <string_view>
#include <vector>

#include "bench/records.hpp"

namespace parbench::reports {

/// Rows of a results.csv document, as current (schema bench::schema_version) records.
/// The first row's schema_version picks the columns: the current ones, or those of an older
/// schema down to bench::oldest_schema_version, which are mapped onto current records
/// (report_columns.hpp, result_columns_v1). Every column of that schema must be present (in
/// any order; unknown extra columns are ignored), every row must carry the same
/// schema_version, and every cell must convert (numbers, row_type raw|aggregate, status
/// ok|failed).
std::vector<bench::result_row> parse_results(std::string_view text, std::string_view source);
std::vector<bench::result_row> read_results(const std::string& path);

/// Rows of overhead.csv / break_even.csv, with the same rules.
std::vector<bench::overhead_row> parse_overhead(std::string_view text, std::string_view source);
std::vector<bench::overhead_row> read_overhead(const std::string& path);
std::vector<bench::break_even_row> parse_break_even(std::string_view text, std::string_view source);
std::vector<bench::break_even_row> read_break_even(const std::string& path);

}  // namespace parbench::reports
