// `parbench compare BASELINE CURRENT`: the regression gate (exit 1 when something regressed).

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "reports/compare.hpp"
#include "reports/compare_plot.hpp"
#include "reports/report_writer.hpp"

namespace parbench::cli {

double parse_fraction(std::string text, const char* what, bool percent) {
  const std::string original = text;
  if (percent && !text.empty() && text.back() == '%') text.pop_back();
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !std::isfinite(v))
    throw usage_error(fmt::format("{} '{}' is not a number", what, original));
  if (percent) {
    if (v < 0 || v >= 100) throw usage_error(fmt::format("{} '{}' must be a percentage in [0, 100)", what, original));
    return v / 100.0;
  }
  if (v <= 0 || v >= 0.5) throw usage_error(fmt::format("{} '{}' must lie in (0, 0.5)", what, original));
  return v;
}

namespace {

struct compare_cli_options {
  std::string baseline;
  std::string current;
  std::string threshold = "5";
  std::string alpha = "0.05";
  bool strict = false;
  bool allow_different_machines = false;
  std::string markdown;
  std::string plot;
};
// The markdown file replaces whatever is at its path: never a file of the reports it compares
// (the same inode, under any name or hard link).
void refuse_markdown_over_an_input(const std::string& markdown, const compare_cli_options& o) {
  struct stat target {};
  if (markdown == "-" || ::stat(markdown.c_str(), &target) != 0) return;
  for (const std::string& report : {o.baseline, o.current}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(report, ec)) {
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino)
        throw usage_error(
            fmt::format("--markdown '{}' is the input file '{}': writing it would destroy the report; "
                        "choose another path (or - for standard output)",
                        markdown, entry.path().string()));
    }
  }
}

void run_compare(const compare_cli_options& o) {
  reports::compare_options opts;
  opts.threshold = parse_fraction(o.threshold, "--threshold", true);
  opts.alpha = parse_fraction(o.alpha, "--alpha", false);
  opts.strict = o.strict;
  opts.allow_different_machines = o.allow_different_machines;
  refuse_markdown_over_an_input(o.markdown, o);
  const std::filesystem::path html = reports::html_sibling(o.markdown);
  if (!html.empty()) refuse_markdown_over_an_input(html.string(), o);

  const auto baseline = reports::read_compare_input(o.baseline);
  const auto current = reports::read_compare_input(o.current);
  auto result = reports::compare_reports(baseline, current, opts);

  fmt::print("{}", reports::format_console(result));
  std::fflush(stdout);
  if (o.markdown == "-") {
    fmt::print("\n{}", reports::format_markdown(result, o.baseline, o.current));
    std::fflush(stdout);
  } else if (!o.markdown.empty()) {
    const std::string markdown = reports::format_markdown(result, o.baseline, o.current);
    reports::write_file_atomically(o.markdown, markdown);
    reports::draw_comparison(result, {o.plot, html, markdown});
  }
  if (o.markdown.empty() || o.markdown == "-") reports::draw_comparison(result, {o.plot, {}, {}});

  const std::size_t one_sided = result.only_baseline.size() + result.only_current.size();
  if (opts.strict && one_sided > 0)
    throw usage_error(
        fmt::format("--strict: {} configurations are present in only one report (listed above); "
                    "run the same suite for both, or drop --strict",
                    one_sided));
  reports::enforce_gate(result, "");
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto opts = std::make_shared<compare_cli_options>();
  auto* cmd = app.add_subcommand(
      "compare",
      "Regression gate: compare two reports' repetitions (Mann-Whitney U, Holm); exit 1 when something regressed");
  cmd->add_option("baseline", opts->baseline, "Baseline report directory")->required();
  cmd->add_option("current", opts->current, "Current report directory")->required();
  cmd->add_option("--threshold", opts->threshold, "Minimum change of the median to count, in percent")
      ->capture_default_str();
  cmd->add_option("--alpha", opts->alpha, "Family-wise significance level (Holm-corrected)")->capture_default_str();
  cmd->add_flag("--strict", opts->strict, "Configurations present in only one report are an error (exit 2)");
  cmd->add_flag("--allow-different-machines", opts->allow_different_machines,
                "Compare reports from different machines or build types (with a warning)");
  cmd->add_option("--markdown", opts->markdown,
                  "Also write the result as markdown (CI step summary, PR comment), and beside a file F.md "
                  "the self-contained page F.html with the plot inline; - for standard output (no page)");
  cmd->add_option("--plot", opts->plot,
                  "Draw the change per configuration with its confidence interval against the threshold band "
                  "into DIR/compare.png and DIR/compare.svg (needs matplotlib)");
  cmd->callback([opts] { run_compare(*opts); });
}

}  // namespace parbench::cli
