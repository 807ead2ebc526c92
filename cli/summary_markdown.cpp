#include "cli/summary_markdown.hpp"

#include <fmt/format.h>

#include "reports/markdown_text.hpp"

namespace parbench::cli {

using reports::markdown_line;
using reports::markdown_text;

std::string markdown_layout(const summary_table& t) {
  std::string title = t.title;
  if (!title.empty() && title.back() == ':') title.pop_back();
  std::string out = "### ";
  out += markdown_text(title);
  out += "\n\n|";
  for (const auto& h : t.header) out += fmt::format(" {} |", markdown_text(h));
  out += "\n|";
  for (const bool left : t.left) out += left ? " :--- |" : " ---: |";
  out += "\n";
  for (const auto& r : t.rows) {
    out += "|";
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      std::string cell;
      if (r.failure.empty() || c < 3)
        cell = c < r.cells.size() ? markdown_text(r.cells[c]) : std::string();
      else if (c == 3)
        cell = fmt::format("failed: {}", markdown_text(r.failure));
      out += fmt::format(" {} |", cell);
    }
    out += "\n";
  }
  for (const auto& n : t.notes) {
    out += '\n';
    out += markdown_line(n);
    out += '\n';
  }
  return out;
}

std::string summary_markdown(const std::string& header, const std::vector<summary_table>& tables,
                             const std::vector<std::string>& warnings, const std::string& machine) {
  std::string out = fmt::format("# {}\n", markdown_line(header));
  if (!machine.empty()) out += fmt::format("\n{}\n", markdown_line(machine));
  if (!warnings.empty()) {
    out += "\n## Warnings\n\n";
    for (const auto& w : warnings) out += fmt::format("- {}\n", markdown_line(w));
  }
  for (const auto& t : tables) {
    out += '\n';
    out += markdown_layout(t);
  }
  return out;
}

}  // namespace parbench::cli
