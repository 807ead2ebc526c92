#pragma once
// Writes a report directory: results.csv, overhead.csv, break_even.csv, metadata.json,
// summary.md (and benchmark.json with --json). Every file is written atomically: a temporary
// file in the same folder, flushed, then renamed over the target, so an existing
// report is never half-overwritten. Failures throw report_error (exit 4).

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bench/records.hpp"

namespace parbench::reports {

/// File names inside a report directory.
inline constexpr std::string_view results_file = "results.csv";
inline constexpr std::string_view overhead_file = "overhead.csv";
inline constexpr std::string_view break_even_file = "break_even.csv";
inline constexpr std::string_view metadata_file = "metadata.json";
inline constexpr std::string_view benchmark_json_file = "benchmark.json";
inline constexpr std::string_view summary_file = "summary.md";

/// CSV documents (header row first, CRLF line ends).
std::string to_csv(const std::vector<bench::result_row>& rows);
std::string to_csv(const std::vector<bench::overhead_row>& rows);
std::string to_csv(const std::vector<bench::break_even_row>& rows);

/// Makes sure `dir` can receive a report before anything is measured: creates it (and
/// its parents) if missing, rejects a path that is not a directory or whose report file
/// names are taken by directories, and proves it writable by creating and removing a
/// temporary file. Throws report_error saying what is wrong and what to do.
void prepare_report_dir(const std::filesystem::path& dir);

/// Replaces `path` with `content` atomically (temporary file in the same folder + rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// Writes the three CSV files and metadata.json into `dir` (see docs/report-format.md), and
/// summary.md when `summary_markdown` is not empty, all renamed into place together.
void write_report(const std::filesystem::path& dir, const bench::report& report, const nlohmann::json& metadata,
                  std::string_view summary_markdown = {});

}  // namespace parbench::reports
