// libFuzzer target for the CSV reader behind `parbench compare` (reports/csv.hpp,
// reports/report_reader.hpp). Properties checked on every input:
// - try_parse_csv never throws; parse_csv throws only parbench::error, exactly when
//   try_parse_csv reports a problem;
// - a parsed table written back with csv_writer parses to the same table;
// - a results/overhead/break_even document that reads without error (schema 2, or schema 1
//   mapped onto schema 2 records) writes back (reports::to_csv, always the current schema) to
//   a document that reads to the same records.
// Anything else (another exception, a crash, a sanitizer report, a hang) is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/report_reader.hpp"
#include "reports/report_writer.hpp"

namespace {

namespace reports = parbench::reports;

void require(bool ok, const char* property) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_csv: property violated: %s\n", property);
    std::abort();
  }
}

void check_table_round_trip(std::string_view text) {
  const reports::csv_parse_result parsed = reports::try_parse_csv(text, "fuzz.csv");
  bool threw = false;
  try {
    (void)reports::parse_csv(text, "fuzz.csv");
  } catch (const parbench::error& e) {
    threw = true;
    require(e.code() == parbench::exit_code::usage, "parse_csv throws usage_error only");
    require(std::string_view(e.what()).rfind("fuzz.csv:", 0) == 0, "parse errors start with file:line:column");
  }
  require(threw == parsed.problem.has_value(), "parse_csv throws exactly when try_parse_csv reports a problem");
  if (parsed.problem) return;

  const reports::csv_table& t = parsed.table;
  require(t.positions.size() == t.rows.size(), "one position row per row");
  reports::csv_writer w;
  for (const auto& h : t.header) w.text(h);
  w.end_row();
  for (const auto& row : t.rows) {
    require(row.size() == t.header.size(), "rows are as wide as the header");
    for (const auto& cell : row) w.text(cell);
    w.end_row();
  }
  const reports::csv_table again = reports::parse_csv(w.str(), "again.csv");
  require(again.header == t.header, "header survives a write/read round trip");
  require(again.rows == t.rows, "rows survive a write/read round trip");
}

// Reads `text` as a report document; when it reads, writing the records and reading
// them back must give the same document again (records compared through their CSV form).
template <class Read>
void check_records_round_trip(std::string_view text, Read read) {
  std::string first;
  try {
    first = reports::to_csv(read(text, "fuzz.csv"));
  } catch (const parbench::error& e) {
    require(e.code() == parbench::exit_code::usage, "report readers throw usage_error only");
    return;
  }
  const std::string second = reports::to_csv(read(first, "written.csv"));
  require(first == second, "records survive a write/read round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_table_round_trip(text);
  check_records_round_trip(text, [](std::string_view t, std::string_view s) { return reports::parse_results(t, s); });
  check_records_round_trip(text, [](std::string_view t, std::string_view s) { return reports::parse_overhead(t, s); });
  check_records_round_trip(text,
                           [](std::string_view t, std::string_view s) { return reports::parse_break_even(t, s); });
  return 0;
}
