#include "cli/summary_markdown.hpp"

#include "reports/markdown_text.hpp"

namespace parbench::cli {

using reports::markdown_line;
using reports::markdown_text;

std::string markdown_layout(const summary_table& t) {
  std::string title = t.title;
  if (!title.empty() && title.back() == ':') title.pop_back();
  std::string out = "### " + markdown_text(title) + "\n\n|";
  for (const auto& h : t.header) out += " " + markdown_text(h) + " |";
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
        cell = "failed: " + markdown_text(r.failure);
      out += " " + cell + " |";
    }
    out += "\n";
  }
  for (const auto& n : t.notes) out += "\n" + markdown_line(n) + "\n";
  return out;
}

std::string summary_markdown(const std::string& header, const std::vector<summary_table>& tables,
                             const std::vector<std::string>& warnings) {
  std::string out = "# " + markdown_line(header) + "\n";
  if (!warnings.empty()) {
    out += "\n## Warnings\n\n";
    for (const auto& w : warnings) out += "- " + markdown_line(w) + "\n";
  }
  for (const auto& t : tables) out += "\n" + markdown_layout(t);
  return out;
}

}  // namespace parbench::cli
