#pragma once
// The readable summary `parbench run` prints: per backend throughput, speedup and
// efficiency at each W, break-even sizes, synchronisation cost per step, start-up cost, and
// trust warnings. The same tables are laid out for the console (summary_text) and as
// GitHub-flavoured markdown (cli/summary_markdown.hpp, summary.md).
// Consumes records only; never times anything.

#include <cstddef>
#include <string>
#include <vector>

#include "bench/records.hpp"
#include "bench/suite.hpp"
#include "bench/system_info.hpp"

namespace parbench::cli {

/// One table of the summary, before it is laid out. Cells hold text from reports (backend,
/// kernel, error messages) unescaped: each layout makes it safe for where it goes.
struct summary_table {
  std::string title;                   ///< the sentence above it
  std::vector<std::string> header;     ///< one per column
  std::vector<bool> left;              ///< per column: text (left-aligned) or a number (right-aligned)
  std::vector<std::size_t> min_width;  ///< per column, on the console
  struct row {
    std::vector<std::string> cells;
    /// A failed configuration: its first three cells, then this message instead of numbers.
    std::string failure;
  };
  std::vector<row> rows;
  std::vector<std::string> notes;  ///< sentences below it
};

/// Warnings about numbers that should not be trusted (cv above 10%, frequency scaling,
/// load at start, debug build), one sentence each.
std::vector<std::string> trust_warnings(const bench::report& report, const bench::machine_info& machine,
                                        const std::string& build_type);

/// Every table of the summary in order: per (kernel, params) and main size, then break-even
/// sizes, synchronisation cost, start-up cost. `timer_resolution_ns` (metadata "timer"; 0 =
/// unknown) decides which start-up medians cannot be told from zero (startup_cell).
std::vector<summary_table> summary_tables(const bench::report& report, const bench::suite& suite,
                                          double timer_resolution_ns = 0);

/// One table for the console: title, aligned columns, notes; text from reports kept on its line.
std::string console_layout(const summary_table& table);

/// The summary tables as text (fmt).
std::string summary_text(const bench::report& report, const bench::suite& suite, double timer_resolution_ns = 0);

/// The synchronisation cost per step of stepped kernels (aggregates with sync_per_step_s) as
/// a table per (kernel, params, backend, schedule) x W; empty when there is none.
std::string sync_text(const std::vector<bench::result_row>& results);

/// The start-up overhead table as text.
std::string overhead_text(const std::vector<bench::overhead_row>& rows, double timer_resolution_ns = 0);

/// A start-up median in microseconds with one decimal, or "<X" when it cannot be told from
/// zero: at or below the per-start timer resolution (timer resolution / inner_reps), or under
/// the 0.05 us that would print as 0.0, negative medians included (the subtracted reference loop
/// cost more than the start); X is that bound rounded up to 0.1 us, at least 0.1.
std::string startup_cell(const bench::overhead_row& row, double timer_resolution_ns);

}  // namespace parbench::cli
