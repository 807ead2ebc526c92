// `parbench plot REPORT [-o DIR]`: draw a report's plots (PNG and SVG) with matplotlib, and the
// page report.html with them inline (docs/report-html.md).

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "core/console_text.hpp"
#include "reports/plot.hpp"

namespace parbench::cli {
namespace {

struct plot_options {
  std::string report;
  std::string out;
};

void run_plot(const plot_options& o) {
  const std::filesystem::path out =
      o.out.empty() ? std::filesystem::path(o.report) / "plots" : std::filesystem::path(o.out);
  const std::filesystem::path html = reports::report_page_path(o.report, out);
  reports::make_plots(o.report, out, html);
  fmt::print("plots written to {}/ (speedup, efficiency, throughput, overhead, break_even; .png and .svg)\n",
             console_text(out.string()));
  fmt::print("report page: {}\n", console_text(html.string()));
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto opts = std::make_shared<plot_options>();
  auto* cmd = app.add_subcommand("plot", "Draw a report's plots (PNG and SVG) with matplotlib");
  cmd->add_option("report", opts->report, "Report directory (written by parbench run)")->required();
  cmd->add_option("-o,--out", opts->out,
                  "Directory for the plots and report.html (default: REPORT/plots, REPORT/report.html)");
  cmd->callback([opts] { run_plot(*opts); });
}

}  // namespace parbench::cli
