#pragma once
// The regression gate's result drawn (reports/compare_plot.py, matplotlib, in a child process):
// per configuration the change with its confidence interval against the threshold band, as
// compare.png and compare.svg, and the markdown's self-contained HTML sibling with that plot
// inline (docs/report-html.md).

#include <filesystem>
#include <string>

#include "reports/compare.hpp"

namespace parbench::reports {

/// What to write; an empty path is not written.
struct compare_drawing {
  std::filesystem::path plot_dir;  ///< compare.png and compare.svg go here (created when missing)
  std::filesystem::path html;      ///< the HTML sibling of `markdown`
  std::string markdown;            ///< format_markdown()'s text, rendered into `html`
};

/// Draws `c` as `what` asks. The data reach the plotter through a private temporary file,
/// removed afterwards. A plot dir without a Python that can import matplotlib, a path that
/// cannot be written, or a link planted at it throw report_error (exit 4). The HTML alone needs
/// no matplotlib: without it the page says the plot could not be drawn and why; without any
/// Python a note on stderr says the page was not written (the gate's exit is not changed).
void draw_comparison(const comparison& c, const compare_drawing& what);

/// `markdown` with its extension replaced by .html; empty for "-" (standard output) and when
/// that would be `markdown` itself.
[[nodiscard]] std::filesystem::path html_sibling(const std::string& markdown);

}  // namespace parbench::reports
