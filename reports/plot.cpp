#include "reports/plot.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "bench/records.hpp"
#include "core/console_text.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/subprocess.hpp"

namespace parbench::reports {
namespace {

subprocess::companion plot_script() {
  return {"plot.py",
          "PARBENCH_PLOT_SCRIPT",
          {"plot.py", "../share/parbench/plot.py"},
          "plot.py",
          PARBENCH_PLOT_SCRIPT_SOURCE};
}

// Plotting even a very large report takes seconds; this only guards against a stuck interpreter.
constexpr std::chrono::seconds plot_limit{600};

// The plotter's message names the file, line and column: its last line without the "error: " prefix.
std::string plotter_message(const subprocess::output& r) {
  std::string message = r.err.empty() ? r.out : r.err;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (const auto at = message.rfind("error: "); at != std::string::npos) message = message.substr(at + 7);
  return message;
}

}  // namespace

void pass_on_notes(const std::string& err) {
  std::size_t begin = 0;
  while (begin < err.size()) {
    std::size_t end = err.find('\n', begin);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) std::fprintf(stderr, "%s\n", console_text(line).c_str());
    begin = end + 1;
  }
}

std::string plot_schema_versions() {
  std::string out;
  for (int v = bench::oldest_schema_version; v <= bench::schema_version; ++v)
    out += fmt::format("{}{}", out.empty() ? "" : ",", v);
  return out;
}

std::filesystem::path find_plot_python() {
  const auto probe = subprocess::find_python("import matplotlib");
  return probe ? std::filesystem::path(probe->python) : std::filesystem::path();
}

// The plots folder is created or written into: never through a link planted at its path (the
// plots would land in the link's target), never onto a file.
void refuse_unsafe_plot_dir(const std::filesystem::path& out_dir) {
  struct stat st {};
  if (::lstat(out_dir.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return;
  throw report_error(fmt::format("cannot write plots to '{}': {}; remove it or choose another folder", out_dir.string(),
                                 S_ISLNK(st.st_mode) ? "it is a symbolic link, which parbench does not write through"
                                                     : "it exists and is not a folder"));
}

std::filesystem::path report_page_path(const std::filesystem::path& report_dir, const std::filesystem::path& out_dir) {
  const bool own_plots_dir = (report_dir / "plots").lexically_normal() == out_dir.lexically_normal();
  return (own_plots_dir ? report_dir : out_dir) / "report.html";
}

void make_plots(const std::filesystem::path& report_dir, const std::filesystem::path& out_dir) {
  make_plots(report_dir, out_dir, report_page_path(report_dir, out_dir));
}

void make_plots(const std::filesystem::path& report_dir, const std::filesystem::path& out_dir,
                const std::filesystem::path& html) {
  refuse_unsafe_plot_dir(out_dir);
  files::refuse_unsafe_target(html);  // before minutes of drawing; plot.py checks again as it renames
  const std::filesystem::path python = find_plot_python();
  if (python.empty())
    throw report_error(
        fmt::format("no Python that can import matplotlib (tried {}): install the Debian package python3-matplotlib "
                    "(apt-get install python3-matplotlib), or point $PYTHON at an interpreter that has matplotlib",
                    subprocess::python_candidates()));
  const subprocess::located script = subprocess::find_companion(plot_script());
  if (script.path.empty()) throw report_error(script.problem);
  // plot.py has no schema version of its own: the accepted ones come from bench/records.hpp.
  const auto r = subprocess::run({python.string(), script.path.string(), "--schema-versions", plot_schema_versions(),
                                  report_dir.string(), out_dir.string(), "--html", html.string()},
                                 plot_limit);
  if (!r) throw report_error(fmt::format("cannot start {}: {}", python.string(), std::strerror(errno)));
  if (r->timed_out)
    throw report_error(fmt::format("plotting {} took more than {} s; the plotter was stopped", report_dir.string(),
                                   plot_limit.count()));
  switch (r->exit_code) {
    case 0:
      // Its notes (e.g. that the report is schema 1) go to the user, made safe for the console:
      // they quote file names and cells of the report.
      pass_on_notes(r->err);
      return;
    case 2: throw usage_error(fmt::format("cannot plot {}: {}", report_dir.string(), plotter_message(*r)));
    default:
      throw report_error(fmt::format("plotting {} failed ({} {} exited with {}): {}", report_dir.string(),
                                     python.string(), script.path.string(), r->exit_code, plotter_message(*r)));
  }
}

}  // namespace parbench::reports
