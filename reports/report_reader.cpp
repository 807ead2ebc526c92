#include "reports/report_reader.hpp"

#include <fmt/format.h>

#include <charconv>

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

std::string supported_versions() {
  return fmt::format("schema {} to {}", bench::oldest_schema_version, bench::schema_version);
}

// The schema of a document: the first data row's schema_version (every row must repeat it);
// a document without rows is schema 1 when its header has every schema-1 column but not
// every current one.
template <class Row>
int schema_of(const csv_table& t, const std::vector<column<Row>>& current, const std::vector<column<Row>>& v1) {
  const auto version_col = t.column("schema_version");
  if (!version_col)
    throw usage_error(
        fmt::format("{}:1:1: missing column 'schema_version' (is this a parbench report? see "
                    "docs/report-format.md)",
                    t.source));
  if (t.rows.empty()) {
    const auto has_all = [&](const std::vector<column<Row>>& columns, int schema) {
      for (const auto& c : columns)
        if (c.since <= schema && !t.column(c.name)) return false;
      return true;
    };
    if (has_all(current, bench::schema_version)) return bench::schema_version;
    if (has_all(v1, bench::schema_version)) return 1;
    for (int v = bench::schema_version - 1; v >= 2; --v)
      if (has_all(current, v)) return v;
    return bench::schema_version;
  }
  const std::string& cell = t.rows[0][*version_col];
  int v = 0;
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (cell.empty() || ec != std::errc{} || ptr != cell.data() + cell.size())
    throw usage_error(
        fmt::format("{}: column schema_version: '{}' is not a whole number", t.where(0, *version_col), cell));
  if (v < bench::oldest_schema_version || v > bench::schema_version)
    throw usage_error(fmt::format("{}: schema_version {} is not supported (this parbench reads {})",
                                  t.where(0, *version_col), v, supported_versions()));
  return v;
}

template <class Row>
std::vector<Row> rows_from(const csv_table& t, const std::vector<column<Row>>& current,
                           const std::vector<column<Row>>& v1) {
  const int schema = schema_of(t, current, v1);
  // Schema 2 and later share the current layout; an older one lacks the columns added since.
  std::vector<column<Row>> columns;
  for (const auto& c : schema == 1 ? v1 : current)
    if (schema == 1 || c.since <= schema) columns.push_back(c);
  std::vector<std::size_t> index;
  for (const auto& c : columns) {
    const auto i = t.column(c.name);
    if (!i)
      throw usage_error(
          fmt::format("{}:1:1: missing column '{}' for schema {} (is this a parbench report? see "
                      "docs/report-format.md)",
                      t.source, c.name, schema));
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
    if (row.schema_version != schema)
      throw usage_error(
          fmt::format("{}: schema_version {} in a schema {} file (the first row's); {}", t.where(r, index[0]),
                      row.schema_version, schema,
                      row.schema_version < bench::oldest_schema_version || row.schema_version > bench::schema_version
                          ? fmt::format("this parbench reads {}", supported_versions())
                          : std::string("one file holds one schema")));
    if (schema == 1) complete_v1(row);
    if (schema != 1 && schema != bench::schema_version) complete_older(row);
    if constexpr (std::is_same_v<Row, bench::result_row>) check_result_row(row, t, r);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

std::vector<bench::result_row> parse_results(std::string_view text, std::string_view source) {
  return rows_from(parse_csv(text, source), result_columns(), result_columns_v1());
}
std::vector<bench::result_row> read_results(const std::string& path) {
  return rows_from(read_csv(path), result_columns(), result_columns_v1());
}
std::vector<bench::overhead_row> parse_overhead(std::string_view text, std::string_view source) {
  return rows_from(parse_csv(text, source), overhead_columns(), overhead_columns_v1());
}
std::vector<bench::overhead_row> read_overhead(const std::string& path) {
  return rows_from(read_csv(path), overhead_columns(), overhead_columns_v1());
}
std::vector<bench::break_even_row> parse_break_even(std::string_view text, std::string_view source) {
  return rows_from(parse_csv(text, source), break_even_columns(), break_even_columns_v1());
}
std::vector<bench::break_even_row> read_break_even(const std::string& path) {
  return rows_from(read_csv(path), break_even_columns(), break_even_columns_v1());
}

}  // namespace parbench::reports
