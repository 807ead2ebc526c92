#pragma once
// Text that parbench did not write itself (backend, kernel and parameter names, error
// messages, the CPU model, warnings) made safe for GitHub-flavoured markdown: it reads as the
// same text in a table cell or a list item and cannot become markup there.

#include <string>
#include <string_view>

namespace parbench::reports {

/// `text` inside a markdown line (a table cell, after "- "): line breaks and other control
/// characters become spaces; markdown punctuation (\ ` * _ ~ | [ ] #) is backslash-escaped
/// (with [ and ] escaped no link or image can form; # keeps "#123" from linking an issue);
/// < > & are HTML entities, so no tag or entity survives; "@name" cannot mention anyone and
/// "://" or "www." cannot autolink (a zero-width space after @, : and www).
[[nodiscard]] std::string markdown_text(std::string_view text);

/// markdown_text for text that starts a line (a list item's text, a paragraph): also a leading
/// "- ", "+ ", "= " or "1. " cannot start a list or a heading.
[[nodiscard]] std::string markdown_line(std::string_view text);

}  // namespace parbench::reports
