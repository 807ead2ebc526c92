#pragma once
// RFC 4180 CSV: a writer for parbench's reports and a strict reader that never
// exits and reports problems as "file:line:column: problem".
//
// Formula injection: a text cell that starts with '=', '+', '-', '@', a tab, a
// carriage return or a single quote is written with one extra leading single
// quote ('), so spreadsheet programs show it as text instead of evaluating it.
// The reader removes that one quote again, so text round-trips exactly. Numeric
// cells (csv_number) are written as they are; they never start with a quote.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parbench::reports {

/// A cell's text escaped against formula injection (see the header comment), unquoted.
std::string csv_guard_text(std::string_view text);

/// Undoes csv_guard_text: drops one leading single quote.
std::string_view csv_unguard_text(std::string_view cell);

/// `cell` quoted per RFC 4180 when it contains a comma, quote, CR or LF (quotes doubled).
std::string csv_quote(std::string_view cell);

/// A double with full precision ("%.17g"); empty for a missing value. Non-finite values
/// are written as "nan", "inf", "-inf".
std::string csv_number(std::optional<double> value);
std::string csv_number(std::optional<std::uint64_t> value);

/// Builds a CSV document line by line (CRLF line ends, as RFC 4180 asks).
class csv_writer {
 public:
  /// Starts a record. Cells are appended with text() (guarded and quoted) or raw() (quoted only).
  csv_writer& text(std::string_view cell);
  csv_writer& raw(std::string_view cell);
  /// Ends the current record.
  void end_row();
  [[nodiscard]] const std::string& str() const noexcept { return out_; }

 private:
  void separate();
  std::string out_;
  bool row_open_ = false;
};

/// Where a cell started in its source (1-based).
struct csv_position {
  std::size_t line = 0;
  std::size_t column = 0;
};

/// A parsed CSV document: a header row and data rows of equal width. Cells are unguarded.
struct csv_table {
  std::string source;  ///< file name used in messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// positions[r][c]: where rows[r][c] started; header_positions likewise.
  std::vector<std::vector<csv_position>> positions;
  std::vector<csv_position> header_positions;

  /// Index of the column called `name`, if any.
  [[nodiscard]] std::optional<std::size_t> column(std::string_view name) const;
  /// The cell of row `row` in column `name`; throws usage_error naming the file if the
  /// column does not exist.
  [[nodiscard]] const std::string& cell(std::size_t row, std::string_view name) const;
  /// "file:line:column" of a cell, for messages.
  [[nodiscard]] std::string where(std::size_t row, std::size_t column) const;
};

/// A parse problem (1-based line and column of the offending character).
struct csv_problem {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
};

/// Parses `text` without throwing. On success `problem` is empty.
struct csv_parse_result {
  csv_table table;
  std::optional<csv_problem> problem;
};
csv_parse_result try_parse_csv(std::string_view text, std::string_view source);

/// Parses `text`; throws usage_error "source:line:column: problem" when it is not
/// well-formed CSV (unterminated quote, stray quote, ragged row, no header, empty header cell).
csv_table parse_csv(std::string_view text, std::string_view source);

/// Reads and parses a file; a missing or unreadable file is a usage_error naming it.
csv_table read_csv(const std::string& path);

}  // namespace parbench::reports
