#pragma once
// Text that parbench did not write itself (report cells, suite names, the CPU model, file names
// and values quoted in error messages) made safe for one console line, where it is printed: a
// newline in it would start a line of its own (one that CI reads as `::error::...`), an escape
// sequence would drive the terminal.

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace parbench {

/// `text` with control characters as escapes (\n, \r, \t, \x1b, ...; the C1 controls U+0080 to
/// U+009F too), and a leading "::" (a GitHub Actions workflow command at the start of a line)
/// as "\x3a:". Everything else, UTF-8 included, is kept.
inline std::string console_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  if (text.substr(0, 2) == "::") {
    out += "\\x3a";
    text.remove_prefix(1);
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c1) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[++i]));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace parbench
