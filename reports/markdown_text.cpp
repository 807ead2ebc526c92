#include "reports/markdown_text.hpp"

#include <cctype>

namespace parbench::reports {
namespace {

constexpr std::string_view zero_width_space = "&#8203;";

// A list marker or setext underline must be followed by a space (or end the line).
bool starts_a_block(std::string_view text) {
  const auto marker_at = [&](std::size_t end) { return end >= text.size() || text[end] == ' ' || text[end] == '\t'; };
  if (text.empty()) return false;
  if (text[0] == '-' || text[0] == '+' || text[0] == '=') return marker_at(1);
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
  return i > 0 && i < text.size() && (text[i] == '.' || text[i] == ')') && marker_at(i + 1);
}

}  // namespace

std::string markdown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '@':
        out += '@';
        out += zero_width_space;
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '~':
      case '|':
      case '[':
      case ']':
      case '#':
        out += '\\';
        out += static_cast<char>(c);
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += ' ';
        } else if (c == ':' && text.substr(i + 1, 2) == "//") {
          out += ':';
          out += zero_width_space;
        } else if ((c == 'w' || c == 'W') && (i == 0 || text[i - 1] == ' ') && text.size() - i >= 4 &&
                   (text.substr(i, 4) == "www." || text.substr(i, 4) == "WWW.")) {
          out += text.substr(i, 3);
          out += zero_width_space;
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string markdown_line(std::string_view text) {
  std::string out = starts_a_block(text) ? std::string("\\") : std::string();
  out += markdown_text(text);
  return out;
}

}  // namespace parbench::reports
