#pragma once
// Plots of a report, drawn by reports/plot.py (matplotlib) in a child process.

#include <filesystem>
#include <string>

namespace parbench::reports {

/// Draws speedup, efficiency, throughput, start-up cost, synchronisation and break-even plots (PNG,
/// and SVG with text as text) of the report in `report_dir` into `out_dir` (created when missing):
/// `speedup`, `efficiency`, `throughput` and `break_even` with one panel per kernel (and per
/// scaling mode: weak-scaling rows get weak-scaling panels), `overhead`, `sync`, and per kernel K
/// `K_speedup`, `K_efficiency`, `K_throughput`, `K_break_even` (docs/plots.md). Reads every
/// schema from bench::oldest_schema_version to bench::schema_version; a report with nothing at all
/// to draw is a usage_error ("nothing to plot: ..."). Blocks until the plotter exits.
/// Finds a Python that can import matplotlib: $PYTHON, then /usr/bin/python3, then python3 on
/// PATH; finds plot.py through $PARBENCH_PLOT_SCRIPT, next to the executable, in
/// <prefix>/share/parbench/, or in the source tree.
/// Throws usage_error when the report is unusable (missing file or column: the plotter's message
/// names it) and report_error when no usable Python or plot.py is found or the output cannot be
/// written.
/// Also writes the self-contained page `html` (docs/report-html.md) with the report's tables and
/// every plot inline; a link or non-file planted at its path is refused (report_error).
void make_plots(const std::filesystem::path& report_dir, const std::filesystem::path& out_dir,
                const std::filesystem::path& html);

/// Throws report_error when `out_dir` is a symbolic link or exists and is not a folder (files
/// written into it would land elsewhere); nothing there, or a folder, is fine.
void refuse_unsafe_plot_dir(const std::filesystem::path& out_dir);

/// Where make_plots() puts report.html by default: `report_dir`/report.html when `out_dir` is the
/// report's own plots/ folder, else `out_dir`/report.html (a report drawn elsewhere, perhaps one
/// that may only be read, is left untouched).
[[nodiscard]] std::filesystem::path report_page_path(const std::filesystem::path& report_dir,
                                                     const std::filesystem::path& out_dir);

/// make_plots() with the page at report_page_path().
void make_plots(const std::filesystem::path& report_dir, const std::filesystem::path& out_dir);

/// Writes a helper's stderr (its notes, one per line) to parbench's stderr, each line through
/// console_text(): what a plotter prints quotes report cells and file names.
void pass_on_notes(const std::string& err);

/// The schema versions make_plots() tells plot.py to accept ("1,2"), from bench/records.hpp.
[[nodiscard]] std::string plot_schema_versions();

/// The interpreter make_plots() would use, or an empty path when none can import matplotlib.
[[nodiscard]] std::filesystem::path find_plot_python();

}  // namespace parbench::reports
