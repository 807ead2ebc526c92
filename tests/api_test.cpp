// The public API (include/parbench/parbench.hpp) and what is generated from the command line:
// a program of one's own (examples/histogram) gets the whole CLI with its kernel in it, and
// the shell completion and man pages name every subcommand and flag.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "backends/registry.hpp"
#include "cli/cli_reference.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "kernels/registry.hpp"
#include "tests/cli_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using parbench::test::command_result;
using parbench::test::run_command;

// Its spawn workers are itself: the environment ctest gives the tests (the parbench binary as
// worker) must not reach it.
const std::string histogram = std::string("env -u PARBENCH_WORKER_EXE ") + PARBENCH_HISTOGRAM_BINARY;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / (name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

parbench::cli::cli_reference reference() {
  static CLI::App app;
  static const bool built = [] {
    parbench::cli::add_commands(app, "parbench");
    return true;
  }();
  (void)built;
  return parbench::cli::describe_cli(app);
}

TEST(api, a_program_of_its_own_lists_its_kernel_after_the_built_in_ones) {
  const command_result r = run_command(histogram + " list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("histogram"), std::string::npos) << r.output;
  EXPECT_LT(r.output.find("  pi "), r.output.find("  histogram "));
}

// Every CPU backend, the process ones included (their workers are this program), gives the
// serial result; `pi -b all` checks the agreement itself and says so.
TEST(api, its_kernel_runs_through_every_backend_with_the_serial_result) {
  const command_result r = run_command(histogram + " pi --kernel histogram -b all -w 3 -n 300001 --timeout 60");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("all backends agree"), std::string::npos) << r.output;
  for (const char* backend : {"serial", "threads", "fork", "spawn", "forkserver"})
    EXPECT_NE(r.output.find(std::string("\n") + backend + " "), std::string::npos) << backend << "\n" << r.output;
}

TEST(api, its_kernel_gets_report_rows_like_a_built_in_one) {
  const fs::path out = fresh_dir("api_report") / "report";
  const command_result r = run_command(histogram + " run --kernel histogram -b serial,threads,spawn -w 1,2 -n 1e6 -r 2 " +
                                       "--no-overhead --no-break-even --quiet --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = read_file(out / "results.csv");
  std::istringstream lines(csv);
  std::string line;
  int rows = 0;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.rfind("3,histogram,1,", 0), 0u) << line;  // schema 3, kernel, kernel version
    if (line.find(",raw,") != std::string::npos && line.find(",ok,") != std::string::npos) ++rows;
  }
  EXPECT_EQ(rows, 5 * 2);  // serial W=1, threads and spawn W=1,2: 5 configurations x 2 repetitions, all ok
  fs::remove_all(out.parent_path());
}

TEST(api, a_name_that_is_taken_or_meaningless_is_refused) {
  EXPECT_THROW(parbench::register_backend("serial", "again", {}), parbench::usage_error);
  EXPECT_THROW(parbench::register_backend("all", "a reserved word", {}), parbench::usage_error);
  EXPECT_THROW(parbench::register_backend("a,b", "a list", {}), parbench::usage_error);
}

// The generated completion script names every visible subcommand and every flag, and bash
// really completes from it: backend names after --backend, items of a comma-separated list.
TEST(api, bash_completion_names_every_subcommand_and_flag_and_completes) {
  const command_result script = parbench::test::run_parbench("completion bash");
  ASSERT_EQ(script.exit_code, 0) << script.output;
  const auto ref = reference();
  ASSERT_GE(ref.commands.size(), 7u);
  for (const auto& c : ref.commands) {
    EXPECT_NE(script.output.find("    " + c.name + ")\n"), std::string::npos) << c.name;
    for (const auto& o : c.options) {
      if (o.positional) continue;
      for (const auto& n : o.names) {
        EXPECT_TRUE(script.output.find(" " + n + " ") != std::string::npos ||
                    script.output.find("\"" + n + " ") != std::string::npos ||
                    script.output.find(" " + n + "\"") != std::string::npos)
            << c.name << " " << n;
      }
    }
  }
  const fs::path dir = fresh_dir("api_completion");
  std::ofstream(dir / "parbench.bash") << script.output;
  const auto complete = [&](const std::string& words, int cword) {
    return run_command("bash -c 'source " + (dir / "parbench.bash").string() + "; COMP_WORDS=(" + words +
                       "); COMP_CWORD=" + std::to_string(cword) + "; _parbench; echo \"${COMPREPLY[*]}\"'");
  };
  EXPECT_EQ(complete("parbench ru", 1).output, "run\n");
  EXPECT_EQ(complete("parbench run --backend se", 3).output, "serial\n");
  EXPECT_EQ(complete("parbench run -b serial,thr", 3).output, "serial,threads\n");
  EXPECT_EQ(complete("parbench pi --kernel tri", 3).output, "triad\n");
  EXPECT_EQ(complete("parbench compare --thr", 2).output, "--threshold\n");
  fs::remove_all(dir);
}

TEST(api, zsh_completion_wraps_the_same_definition) {
  const command_result script = parbench::test::run_parbench("completion zsh");
  ASSERT_EQ(script.exit_code, 0);
  EXPECT_EQ(script.output.rfind("#compdef parbench\n", 0), 0u);
  EXPECT_NE(script.output.find("complete -F _parbench parbench"), std::string::npos);
  EXPECT_EQ(parbench::test::run_parbench("completion fish").exit_code, 2);
}

TEST(api, man_pages_cover_every_subcommand_and_option) {
  const fs::path dir = fresh_dir("api_man");
  const command_result r = parbench::test::run_parbench("__man " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string main_page = read_file(dir / "parbench.1");
  EXPECT_EQ(main_page.rfind(".TH PARBENCH 1", 0), 0u) << main_page.substr(0, 80);
  for (const auto& c : reference().commands) {
    EXPECT_NE(main_page.find("\\fB" + c.name + "\\fR"), std::string::npos) << c.name;
    const std::string page = read_file(dir / ("parbench-" + c.name + ".1"));
    ASSERT_FALSE(page.empty()) << c.name;
    for (const auto& o : c.options) {
      std::string escaped;  // roff writes '-' as '\-'
      for (const char ch : o.names.back()) escaped += ch == '-' ? std::string("\\-") : std::string(1, ch);
      EXPECT_NE(page.find(escaped), std::string::npos) << c.name << " " << o.names.back();
    }
  }
  // The hidden generator itself is not a documented command.
  EXPECT_FALSE(fs::exists(dir / "parbench-__man.1"));
  fs::remove_all(dir);
}

}  // namespace
