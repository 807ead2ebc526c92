// report.html (reports/html_report.py via plot.py) and compare's plot and HTML sibling
// (reports/compare_plot.py), through the real binary on tiny suites. Needs /usr/bin/python3
// with matplotlib (scripts/setup); the headless-browser check runs where chromium is installed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <utility>

#include "tests/cli_helpers.hpp"

namespace parbench {
namespace {

namespace fs = std::filesystem;
using test::run_command;
using test::run_parbench;
using ::testing::HasSubstr;
using ::testing::Not;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spill(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Nothing that a browser would fetch from elsewhere.
void expect_self_contained(const std::string& page) {
  EXPECT_THAT(page, Not(HasSubstr("src=\"http")));
  EXPECT_THAT(page, Not(HasSubstr("href=\"http")));
  EXPECT_THAT(page, Not(HasSubstr("<link")));
  EXPECT_THAT(page, Not(HasSubstr("@import")));
  // url(...) only to a fragment of the page itself (SVG clip paths).
  const std::regex external_url(R"(url\(\s*['"]?[^#'"\s])");
  EXPECT_FALSE(std::regex_search(page, external_url));
}

// The plots named in the page, data-plot="NAME".
std::set<std::string> plots_in(const std::string& page) {
  std::set<std::string> names;
  const std::regex plot(R"re(<figure class="plot" data-plot="([^"]+)")re");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), plot); it != std::sregex_iterator(); ++it)
    names.insert((*it)[1]);
  return names;
}

// The folder of this test process's files (tests run one per process under ctest).
fs::path& suite_root() {
  static fs::path root;
  return root;
}

class html_report : public ::testing::Test {
 protected:
  // One small report for the whole suite: the run is the slow part.
  static void SetUpTestSuite() {
    suite_root() = fs::temp_directory_path() / ("parbench_html_" + std::to_string(::getpid()));
    fs::remove_all(root());
    fs::create_directories(root());
    const auto r =
        run_parbench("run -b serial,threads -w 1,2 -n 1e6 -r 2 --quiet --plot --out " + (root() / "report").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root()); }
  static fs::path copy_of_report(const std::string& name) {
    fs::path copy = root() / name;
    fs::remove_all(copy);
    fs::copy(root() / "report", copy, fs::copy_options::recursive);
    fs::remove(copy / "report.html");
    fs::remove_all(copy / "plots");
    return copy;
  }
  static const fs::path& root() { return suite_root(); }
};

TEST_F(html_report, RunPlotWritesOneSelfContainedPage) {
  const fs::path report = root() / "report";
  ASSERT_TRUE(fs::is_regular_file(report / "report.html"));
  const std::string page = slurp(report / "report.html");
  EXPECT_THAT(page, HasSubstr("<title>parbench report: "));
  // The summary table: a row per backend and W, values from the aggregate rows.
  EXPECT_THAT(page, HasSubstr("<th>backend</th><th>schedule</th><th class=\"num\">W</th>"));
  EXPECT_THAT(page, HasSubstr("<td>serial</td><td>static</td><td class=\"num\">1</td>"));
  EXPECT_THAT(page, HasSubstr("<td>threads</td><td>static</td><td class=\"num\">2</td>"));
  EXPECT_THAT(page, HasSubstr("speedup [min, max]"));
  EXPECT_THAT(page, HasSubstr("Break-even"));
  EXPECT_THAT(page, HasSubstr("id=\"startup\""));
  EXPECT_THAT(page, HasSubstr("<h2>How it was measured</h2>"));
  EXPECT_THAT(page, HasSubstr("<h2>Machine and build</h2>"));
  EXPECT_THAT(page, HasSubstr("<th>cpu_model</th>"));
  EXPECT_THAT(page, HasSubstr("<th>command line</th>"));
  // Schema 5: this machine's topology as a table of its own, the pinning and boost of the run.
  EXPECT_THAT(page, HasSubstr("<h3>Topology</h3>"));
  EXPECT_THAT(page, HasSubstr("<th>cores x threads</th>"));
  EXPECT_THAT(page, HasSubstr("<th>allowed CPUs</th>"));
  EXPECT_THAT(page, HasSubstr("<th>SMT boundary</th>"));
  EXPECT_THAT(page, HasSubstr("<th>pinning</th><td>none</td>"));
  EXPECT_THAT(page, HasSubstr("<th>CPU boost</th>"));
  EXPECT_THAT(page, Not(HasSubstr("<th>topology</th>")));  // not as one raw key=value cell
  EXPECT_THAT(page, HasSubstr("<h2>Warnings</h2>"));
  // Every overview plot inline, once (one kernel: its own plots are the overview's).
  const auto plots = plots_in(page);
  std::size_t svg_files = 0;
  for (const auto& entry : fs::directory_iterator(report / "plots")) {
    if (entry.path().extension() != ".svg" || entry.path().stem().string().rfind("pi_", 0) == 0) continue;
    ++svg_files;
    EXPECT_EQ(plots.count(entry.path().stem().string()), 1U) << entry.path();
  }
  EXPECT_GE(svg_files, 5U);
  EXPECT_EQ(plots.size(), svg_files);
  EXPECT_EQ(count_of(page, "<svg"), svg_files);
  EXPECT_THAT(page, HasSubstr("data-plots-expected=\"" + std::to_string(svg_files) + "\""));
  EXPECT_THAT(page, HasSubstr("data-plots-ok"));  // the script that reports rendering
  EXPECT_THAT(page, Not(HasSubstr("<?xml")));
  EXPECT_THAT(page, HasSubstr("@media print"));
  expect_self_contained(page);
}

TEST_F(html_report, PlotWritesThePageInTheReportOrTheOutputFolder) {
  const fs::path report = copy_of_report("plotted");
  auto r = run_parbench("plot " + report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(report / "report.html"));
  EXPECT_THAT(r.output, HasSubstr("report.html"));

  fs::remove(report / "report.html");
  const fs::path out = root() / "elsewhere";
  r = run_parbench("plot " + report.string() + " -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(out / "report.html"));
  EXPECT_FALSE(fs::exists(report / "report.html")) << "-o: the report folder is left as it was";
  EXPECT_EQ(plots_in(slurp(out / "report.html")).size(), plots_in(slurp(root() / "report" / "report.html")).size());
}

TEST_F(html_report, ValuesFromTheReportAndTheMachineAreEscaped) {
  const fs::path report = copy_of_report("crafted");
  const std::string evil = "<script>alert(1)</script>";
  std::string meta = slurp(report / "metadata.json");
  const std::regex cpu(R"("cpu_model": "[^"]*")");
  meta = std::regex_replace(meta, cpu, "\"cpu_model\": \"" + evil + "\"");
  spill(report / "metadata.json", meta);
  spill(report / "results.csv", replace_all(slurp(report / "results.csv"), ",threads,", "," + evil + ","));

  const auto r = run_parbench("plot " + report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string page = slurp(report / "report.html");
  EXPECT_THAT(page, HasSubstr("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));       // the backend cell
  EXPECT_THAT(page, HasSubstr("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>"));  // cpu_model
  EXPECT_THAT(page, Not(HasSubstr("<script>alert")));
  EXPECT_EQ(count_of(page, "<script"), 1U);  // only the page's own
}

TEST_F(html_report, ALinkPlantedAtReportHtmlIsRefused) {
  const fs::path report = copy_of_report("planted");
  const fs::path target = root() / "target.html";
  fs::create_symlink(target, report / "report.html");
  const auto r = run_parbench("plot " + report.string());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("symbolic link"));
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_symlink(report / "report.html"));
}

TEST_F(html_report, SeveralKernelsGetASectionEachWithTheirPlots) {
  const fs::path report = root() / "two_kernels";
  const auto r = run_parbench(
      "run -k pi,imbalanced -b serial,threads -w 1,2 -n 1e5 -r 2 --quiet --no-overhead "
      "--no-break-even --plot --out " +
      report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string page = slurp(report / "report.html");
  EXPECT_THAT(page, HasSubstr("<section id=\"kernel-pi\"><h2>Kernel pi</h2>"));
  EXPECT_THAT(page, HasSubstr("<section id=\"kernel-imbalanced\"><h2>Kernel imbalanced</h2>"));
  const auto plots = plots_in(page);
  std::size_t svg_files = 0;
  for (const auto& entry : fs::directory_iterator(report / "plots")) {
    if (entry.path().extension() != ".svg") continue;
    ++svg_files;
    EXPECT_EQ(plots.count(entry.path().stem().string()), 1U) << entry.path();
  }
  EXPECT_EQ(plots.size(), svg_files);
  // A kernel's own plots sit in its section, before the overview plots.
  const auto section = page.find("id=\"kernel-imbalanced\"");
  EXPECT_GT(page.find("data-plot=\"imbalanced_speedup\""), section);
  EXPECT_LT(page.find("data-plot=\"imbalanced_speedup\""), page.find("id=\"plots\""));
}

TEST_F(html_report, PlotterNotesReachTheConsoleSanitised) {
  // The schema 1 note names the report's path: an escape sequence in it must not reach the terminal.
  const fs::path report = root() / "old\x1b[31mreport";
  fs::copy(fs::path(PARBENCH_SOURCE_DIR) / "tests/data/schema1_report", report, fs::copy_options::recursive);
  const auto r = run_parbench("plot '" + report.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("schema 1 report"));
  EXPECT_THAT(r.output, HasSubstr("old\\x1b[31mreport"));
  EXPECT_THAT(r.output, Not(HasSubstr("\x1b")));
}

// tests/data/schema5_report: `parbench run --pin compact` on a synthetic machine of one core with
// two hardware threads (PARBENCH_TOPOLOGY), W = 1, 2: W = 2 is past the SMT boundary.
TEST_F(html_report, TopologyAndTheSmtBoundaryOfASchemaFiveReport) {
  const fs::path report = root() / "schema5";
  fs::copy(fs::path(PARBENCH_SOURCE_DIR) / "tests/data/schema5_report", report, fs::copy_options::recursive);
  const auto r = run_parbench("plot " + report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string page = slurp(report / "report.html");
  EXPECT_THAT(page, HasSubstr("<h3>Topology</h3>"));
  EXPECT_THAT(page, HasSubstr("<th>packages</th><td>1</td>"));
  EXPECT_THAT(page, HasSubstr("<th>NUMA nodes</th><td>1</td>"));
  EXPECT_THAT(page, HasSubstr("<th>cores x threads</th><td>1 core x 2 threads (2 CPUs)</td>"));
  EXPECT_THAT(page, HasSubstr("<th>caches</th><td>L1 32 KiB, L2 1 MiB, L3 32 MiB</td>"));
  EXPECT_THAT(page, HasSubstr("<th>allowed CPUs</th><td>2 of 2: 0-1 (on 1 physical core)</td>"));
  EXPECT_THAT(page, HasSubstr("W &gt; 1 share physical cores (SMT)</td>"));
  EXPECT_THAT(page, HasSubstr("<th>pinning</th><td>compact</td>"));
  EXPECT_THAT(page, HasSubstr("<th>CPU boost</th><td>unknown</td>"));
  // The per-W tables: W = 2 marked, W = 1 not, and the note under the summary and start-up tables.
  EXPECT_THAT(page,
              HasSubstr("<td>threads</td><td>static</td><td class=\"num\">2 <span class=\"smt\">SMT</span></td>"));
  EXPECT_THAT(page, HasSubstr("<td>threads</td><td>static</td><td class=\"num\">1</td>"));
  EXPECT_EQ(count_of(page, "<p class=\"note\">W &gt; 1 share physical cores (SMT)"), 2U);
  // The plots inline carry the boundary and the topology caption.
  EXPECT_THAT(page, HasSubstr("SMT beyond here"));
  EXPECT_THAT(page, HasSubstr("1 package, 1 core x 2 threads, L3 32 MiB; 2 of 2 CPUs allowed; pinning: compact"));
  EXPECT_THAT(page, Not(HasSubstr("undefined")));
}

// With SMT threads but no W past the physical cores, nothing is marked.
TEST_F(html_report, NoSmtMarkWhenEveryWorkerHasAPhysicalCore) {
  const fs::path report = root() / "schema5_two_cores";
  fs::copy(fs::path(PARBENCH_SOURCE_DIR) / "tests/data/schema5_report", report, fs::copy_options::recursive);
  // The fixture's machine as 2 cores x 2 threads: the boundary moves to W = 2, its largest W.
  std::string meta = slurp(report / "metadata.json");
  for (const auto& [from, to] :
       {std::pair{R"("allowed_cores": 1,)", R"("allowed_cores": 2,)"},
        std::pair{R"("allowed_cpu_count": 2,)", R"("allowed_cpu_count": 4,)"},
        std::pair{R"("allowed_cpus": "0-1",)", R"("allowed_cpus": "0-3",)"},
        std::pair{R"( "cores": 1,)", R"( "cores": 2,)"}, std::pair{R"( "cpus": 2,)", R"( "cpus": 4,)"},
        std::pair{R"("smt_boundary_workers": 1,)", R"("smt_boundary_workers": 2,)"}}) {
    ASSERT_EQ(count_of(meta, from), 1U) << from;
    meta = replace_all(meta, from, to);
  }
  spill(report / "metadata.json", meta);
  const auto r = run_parbench("plot " + report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string page = slurp(report / "report.html");
  EXPECT_THAT(page, HasSubstr("<th>cores x threads</th><td>2 cores x 2 threads (4 CPUs)</td>"));
  EXPECT_THAT(page, HasSubstr("W &gt; 2 share physical cores (SMT)</td>"));  // the topology table says where
  EXPECT_THAT(page, HasSubstr("<td>threads</td><td>static</td><td class=\"num\">2</td>"));
  EXPECT_THAT(page, Not(HasSubstr("<span class=\"smt\">")));
  EXPECT_THAT(page, Not(HasSubstr("<p class=\"note\">")));
  EXPECT_THAT(page, Not(HasSubstr("SMT beyond here")));
}

// Reports before schema 5 have no topology, pinning or boost: the page is as it was.
TEST_F(html_report, OlderReportsShowNoTopology) {
  for (const char* old : {"schema1_report", "schema2_report"}) {
    const fs::path report = root() / (std::string("old_") + old);
    fs::copy(fs::path(PARBENCH_SOURCE_DIR) / "tests/data" / old, report, fs::copy_options::recursive);
    const auto r = run_parbench("plot " + report.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string page = slurp(report / "report.html");
    EXPECT_THAT(page, HasSubstr("<h3>Machine</h3>")) << old;
    EXPECT_THAT(page, Not(HasSubstr("<h3>Topology</h3>"))) << old;
    EXPECT_THAT(page, Not(HasSubstr("<th>pinning</th>"))) << old;
    EXPECT_THAT(page, Not(HasSubstr("<th>CPU boost</th>"))) << old;
    EXPECT_THAT(page, Not(HasSubstr("SMT"))) << old;
    EXPECT_THAT(page, Not(HasSubstr("CPUs allowed"))) << old;
    EXPECT_THAT(page, Not(HasSubstr("undefined"))) << old;
  }
}

TEST_F(html_report, RendersInAHeadlessBrowserWhereChromiumIsInstalled) {
  if (run_command("command -v chromium").exit_code != 0) GTEST_SKIP() << "no chromium (.ci/run checks it)";
  const auto r = run_command(std::string(PARBENCH_SOURCE_DIR) + "/scripts/check-html " +
                             (root() / "report" / "report.html").string() + " " + (root() / "shot.png").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("plots drawn"));
  EXPECT_TRUE(fs::is_regular_file(root() / "shot.png"));
}

// compare draws its result: --plot DIR, and the markdown's HTML sibling.
class html_report_compare : public html_report {
 protected:
  static std::string compare(const std::string& extra, const std::string& env = "") {
    return env + " " + PARBENCH_BINARY + " compare " + (root() / "report").string() + " " +
           (root() / "report").string() + " " + extra;
  }
};

TEST_F(html_report_compare, PlotWritesPngAndSvg) {
  const fs::path dir = root() / "compare_plot";
  const auto r = run_command(compare("--plot " + dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(dir / "compare.png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const std::string svg = slurp(dir / "compare.svg");
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr("threshold band"));  // text kept as text
  EXPECT_THAT(svg, HasSubstr("serial static W=1"));
}

TEST_F(html_report_compare, MarkdownFileGetsAnHtmlSiblingWithThePlotInline) {
  const fs::path md = root() / "gate.md";
  const auto r = run_command(compare("--markdown " + md.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string page = slurp(root() / "gate.html");
  EXPECT_THAT(page, HasSubstr("<figure class=\"plot\" data-plot=\"compare\"><svg"));
  EXPECT_THAT(page, HasSubstr("parbench compare: no regression</h2>"));
  EXPECT_THAT(page, HasSubstr("<th>configuration</th><th class=\"num\">reps</th>"));
  EXPECT_THAT(page, HasSubstr("data-plots-expected=\"1\""));
  expect_self_contained(page);
}

TEST_F(html_report_compare, TheSiblingEscapesWhatTheMarkdownQuotes) {
  const fs::path odd = copy_of_report("odd<b>name");
  const fs::path md = root() / "odd.md";
  const auto r = run_command(std::string(PARBENCH_BINARY) + " compare '" + odd.string() + "' '" + odd.string() +
                             "' --markdown " + md.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string page = slurp(root() / "odd.html");
  EXPECT_THAT(page, HasSubstr("odd&lt;b&gt;name"));
  EXPECT_THAT(page, Not(HasSubstr("<b>")));
}

TEST_F(html_report_compare, StandardOutputMarkdownHasNoSibling) {
  const fs::path dir = root() / "stdout_md";
  fs::create_directories(dir);
  const auto r = run_command("cd " + dir.string() + " && " + compare("--markdown -"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("## parbench compare"));
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(html_report_compare, WithoutMatplotlibTheGateExitIsUnchangedButPlotIsAnError) {
  // A matplotlib that fails to import, first on every interpreter's path.
  const fs::path fake = root() / "no_matplotlib" / "matplotlib";
  fs::create_directories(fake);
  spill(fake / "__init__.py", "raise ImportError('hidden by html_report_test')\n");
  const std::string env = "PYTHONPATH=" + fake.parent_path().string();

  const fs::path md = root() / "bare.md";
  const auto with = run_command(compare("--markdown " + (root() / "with.md").string()));
  const auto without = run_command(compare("--markdown " + md.string(), env));
  EXPECT_EQ(without.exit_code, with.exit_code) << without.output;
  const std::string page = slurp(root() / "bare.html");
  EXPECT_THAT(page, HasSubstr("could not be drawn: matplotlib cannot be imported"));
  EXPECT_THAT(page, HasSubstr("data-plots-expected=\"0\""));
  EXPECT_THAT(page, HasSubstr("parbench compare: no regression"));

  const auto plot = run_command(compare("--plot " + (root() / "nope").string(), env));
  EXPECT_EQ(plot.exit_code, 4) << plot.output;
  EXPECT_THAT(plot.output, HasSubstr("matplotlib"));
}

}  // namespace
}  // namespace parbench
