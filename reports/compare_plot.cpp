#include "reports/compare_plot.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "core/console_text.hpp"
#include "core/errors.hpp"
#include "core/subprocess.hpp"
#include "reports/plot.hpp"
#include "reports/report_writer.hpp"

namespace parbench::reports {
namespace {

subprocess::companion compare_plot_script() {
  return {"compare_plot.py",
          "PARBENCH_COMPARE_PLOT_SCRIPT",
          {"compare_plot.py", "../share/parbench/compare_plot.py"},
          "compare_plot.py",
          PARBENCH_COMPARE_PLOT_SCRIPT_SOURCE};
}

constexpr std::chrono::seconds draw_limit{300};

// A folder of our own under $TMPDIR (mode 0700) for the data file, removed with everything in it.
class private_temp_dir {
 public:
  private_temp_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/parbench-compare.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      throw report_error(fmt::format("cannot create a temporary folder ({}): {}; set TMPDIR to a writable folder",
                                     pattern, std::strerror(errno)));
    path_ = pattern;
  }
  private_temp_dir(const private_temp_dir&) = delete;
  private_temp_dir& operator=(const private_temp_dir&) = delete;
  ~private_temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

nlohmann::json comparison_data(const comparison& c, const std::string& markdown) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : c.rows)
    rows.push_back({{"label", r.key.label()},
                    {"change", r.change},
                    {"ci_low", r.ci_low},
                    {"ci_high", r.ci_high},
                    {"ci_confidence", r.ci_confidence},
                    {"verdict", to_string(r.result)},
                    {"unit", r.unit}});
  return {{"rows", rows},
          {"threshold", c.options.threshold},
          {"alpha", c.options.alpha},
          {"baseline", c.baseline_identity},
          {"current", c.current_identity},
          {"markdown", markdown}};
}

// The plotter's last line without its "error: " prefix.
std::string last_message(const subprocess::output& r) {
  std::string message = r.err.empty() ? r.out : r.err;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (const auto at = message.rfind("error: "); at != std::string::npos) message = message.substr(at + 7);
  return message;
}

}  // namespace

std::filesystem::path html_sibling(const std::string& markdown) {
  if (markdown.empty() || markdown == "-") return {};
  std::filesystem::path html(markdown);
  html.replace_extension(".html");
  return html == std::filesystem::path(markdown) ? std::filesystem::path() : html;
}

void draw_comparison(const comparison& c, const compare_drawing& what) {
  if (what.plot_dir.empty() && what.html.empty()) return;
  if (!what.plot_dir.empty()) refuse_unsafe_plot_dir(what.plot_dir);
  std::string python = find_plot_python().string();
  if (python.empty() && !what.plot_dir.empty())
    throw report_error(fmt::format(
        "--plot: no Python that can import matplotlib (tried {}): install the Debian package python3-matplotlib, "
        "or point $PYTHON at an interpreter that has matplotlib",
        subprocess::python_candidates()));
  if (python.empty()) {
    // The page can still say what was compared; only the plot needs matplotlib.
    const auto any = subprocess::find_python("import sys");
    if (!any) {
      fmt::print(stderr, "note: {} not written: no Python 3 found (tried {})\n", console_text(what.html.string()),
                 console_text(subprocess::python_candidates()));
      return;
    }
    python = any->python;
  }
  const subprocess::located script = subprocess::find_companion(compare_plot_script());
  if (script.path.empty()) throw report_error(script.problem);

  const private_temp_dir tmp;
  const std::filesystem::path data = tmp.path() / "comparison.json";
  write_file_atomically(data, comparison_data(c, what.markdown).dump());
  std::vector<std::string> args{python, script.path.string(), data.string()};
  if (!what.plot_dir.empty()) args.insert(args.end(), {"--plot", what.plot_dir.string()});
  if (!what.html.empty()) args.insert(args.end(), {"--html", what.html.string()});
  const auto r = subprocess::run(args, draw_limit);
  if (!r) throw report_error(fmt::format("cannot start {}: {}", python, std::strerror(errno)));
  if (r->timed_out)
    throw report_error(
        fmt::format("drawing the comparison took more than {} s; the plotter was stopped", draw_limit.count()));
  // Exit 4 is a file it could not write, and its message says which and why.
  if (r->exit_code == 4) throw report_error(last_message(*r));
  if (r->exit_code != 0)
    throw report_error(fmt::format("drawing the comparison failed ({} {} exited with {}): {}", python,
                                   script.path.string(), r->exit_code, last_message(*r)));
  pass_on_notes(r->err);
}

}  // namespace parbench::reports
