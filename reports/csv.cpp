#include "reports/csv.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/errors.hpp"
#include "core/files.hpp"

namespace parbench::reports {
namespace {

bool needs_guard(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
    case '\'': return true;
    default: return false;
  }
}

}  // namespace

std::string csv_guard_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  if (needs_guard(text)) out += '\'';
  out += text;
  return out;
}

std::string_view csv_unguard_text(std::string_view cell) {
  if (!cell.empty() && cell.front() == '\'') cell.remove_prefix(1);
  return cell;
}

std::string csv_quote(std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(cell);
  std::string out = "\"";
  for (const char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_number(std::optional<double> value) {
  if (!value) return {};
  if (std::isnan(*value)) return "nan";
  if (std::isinf(*value)) return *value > 0 ? "inf" : "-inf";
  return fmt::format("{:.17g}", *value);
}

std::string csv_number(std::optional<std::uint64_t> value) { return value ? std::to_string(*value) : std::string(); }

void csv_writer::separate() {
  if (row_open_) out_ += ',';
  row_open_ = true;
}

csv_writer& csv_writer::text(std::string_view cell) {
  separate();
  out_ += csv_quote(csv_guard_text(cell));
  return *this;
}

csv_writer& csv_writer::raw(std::string_view cell) {
  separate();
  out_ += csv_quote(cell);
  return *this;
}

void csv_writer::end_row() {
  out_ += "\r\n";
  row_open_ = false;
}

std::optional<std::size_t> csv_table::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

const std::string& csv_table::cell(std::size_t row, std::string_view name) const {
  const auto c = column(name);
  if (!c) throw usage_error(fmt::format("{}: no column '{}' in the header", source, name));
  return rows.at(row).at(*c);
}

std::string csv_table::where(std::size_t row, std::size_t col) const {
  const csv_position p = positions.at(row).at(col);
  return fmt::format("{}:{}:{}", source, p.line, p.column);
}

csv_parse_result try_parse_csv(std::string_view text, std::string_view source) {
  csv_parse_result result;
  csv_table& t = result.table;
  t.source = std::string(source);
  std::size_t line = 1, column = 1, i = 0;
  auto fail = [&](std::string message) {
    result.problem = csv_problem{line, column, std::move(message)};
    return result;
  };
  auto advance = [&](char c) {
    ++i;
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  };

  std::vector<std::string> record;
  std::vector<csv_position> record_pos;
  bool have_header = false;
  std::size_t record_line = 1;
  bool first_field_quoted = false;
  auto finish_record = [&]() -> bool {
    // A lone empty line is skipped (blank trailing line); it is not a record of one empty cell.
    if (record.size() == 1 && record.front().empty() && !first_field_quoted && !(have_header && t.header.size() == 1)) {
      record.clear();
      record_pos.clear();
      return true;
    }
    if (!have_header) {
      for (std::size_t c = 0; c < record.size(); ++c)
        if (record[c].empty()) {
          line = record_pos[c].line;
          column = record_pos[c].column;
          fail(fmt::format("header cell {} is empty", c + 1));
          return false;
        }
      t.header = std::move(record);
      t.header_positions = std::move(record_pos);
      have_header = true;
    } else {
      if (record.size() != t.header.size()) {
        line = record_line;
        column = 1;
        fail(fmt::format("row has {} fields but the header has {}", record.size(), t.header.size()));
        return false;
      }
      t.rows.push_back(std::move(record));
      t.positions.push_back(std::move(record_pos));
    }
    record.clear();
    record_pos.clear();
    return true;
  };

  while (i < text.size() || !record.empty()) {
    if (record.empty()) record_line = line;
    // One field.
    const csv_position start{line, column};
    std::string field;
    bool quoted = false;
    if (record.empty()) first_field_quoted = false;
    if (i < text.size() && text[i] == '"') {
      quoted = true;
      if (record.empty()) first_field_quoted = true;
      advance('"');
      while (true) {
        if (i >= text.size()) {
          line = start.line;
          column = start.column;
          return fail("quoted field is not closed (missing '\"')");
        }
        const char c = text[i];
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            advance(c);
            advance(c);
            continue;
          }
          advance(c);
          break;
        }
        field += c;
        advance(c);
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        if (text[i] == '"') return fail("'\"' inside an unquoted field (quote the whole field and double the '\"')");
        field += text[i];
        advance(text[i]);
      }
    }
    record.push_back(std::string(csv_unguard_text(field)));
    record_pos.push_back(start);
    // After a field: comma, line end or end of input.
    if (i >= text.size()) {
      if (!finish_record()) return result;
      break;
    }
    const char c = text[i];
    if (c == ',') {
      advance(c);
      if (i >= text.size()) {
        record.emplace_back();
        record_pos.push_back({line, column});
        if (!finish_record()) return result;
      }
      continue;
    }
    if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return fail("carriage return not followed by a line feed");
      advance(c);
    }
    if (i < text.size() && text[i] == '\n') {
      advance('\n');
      if (!finish_record()) return result;
      continue;
    }
    return fail(quoted ? "unexpected character after a closing quote (expected ',' or a line end)"
                       : "unexpected character");
  }
  if (!have_header) {
    line = 1;
    column = 1;
    return fail("empty file: expected a header row");
  }
  return result;
}

csv_table parse_csv(std::string_view text, std::string_view source) {
  csv_parse_result r = try_parse_csv(text, source);
  if (r.problem)
    throw usage_error(fmt::format("{}:{}:{}: {}", source, r.problem->line, r.problem->column, r.problem->message));
  return std::move(r.table);
}

csv_table read_csv(const std::string& path) { return parse_csv(files::read_input(path, "CSV file"), path); }

}  // namespace parbench::reports
