#include "reports/report_reader.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/report_columns.hpp"

namespace parbench::reports {
namespace {

void check_result_row(const bench::result_row& r, const csv_table& t, std::size_t row) {
  const auto bad = [&](std::string_view name, const std::string& value, std::string_view allowed) {
    return usage_error(fmt::format("{}: {} is '{}', expected {}", t.where(row, *t.column(name)), name, value, allowed));
  };
  if (r.row_type != "raw" && r.row_type != "aggregate") throw bad("row_type", r.row_type, "raw or aggregate");
  if (r.status != "ok" && r.status != "failed") throw bad("status", r.status, "ok or failed");
}

template <class Row>
std::vector<Row> rows_from(const csv_table& t, const std::vector<column<Row>>& columns) {
  std::vector<std::size_t> index;
  for (const auto& c : columns) {
    const auto i = t.column(c.name);
    if (!i)
      throw usage_error(fmt::format("{}:1:1: missing column '{}' (is this a parbench report? see "
                                    "docs/report-format.md)",
                                    t.source, c.name));
    index.push_back(*i);
  }
  std::vector<Row> out;
  out.reserve(t.rows.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    Row row;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      try {
        columns[c].set(row, t.rows[r][index[c]]);
      } catch (const cell_error& e) {
        throw usage_error(fmt::format("{}: column {}: {}", t.where(r, index[c]), columns[c].name, e.what()));
      }
    }
    if (row.schema_version != bench::schema_version)
      throw usage_error(fmt::format("{}: schema_version {} is not supported (this parbench reads {})",
                                    t.where(r, index[0]), row.schema_version, bench::schema_version));
    if constexpr (std::is_same_v<Row, bench::result_row>) check_result_row(row, t, r);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

std::vector<bench::result_row> parse_results(std::string_view text, std::string_view source) {
  return rows_from(parse_csv(text, source), result_columns());
}
std::vector<bench::result_row> read_results(const std::string& path) {
  return rows_from(read_csv(path), result_columns());
}
std::vector<bench::overhead_row> parse_overhead(std::string_view text, std::string_view source) {
  return rows_from(parse_csv(text, source), overhead_columns());
}
std::vector<bench::overhead_row> read_overhead(const std::string& path) {
  return rows_from(read_csv(path), overhead_columns());
}
std::vector<bench::break_even_row> parse_break_even(std::string_view text, std::string_view source) {
  return rows_from(parse_csv(text, source), break_even_columns());
}
std::vector<bench::break_even_row> read_break_even(const std::string& path) {
  return rows_from(read_csv(path), break_even_columns());
}

}  // namespace parbench::reports
