// The public API (include/parbench/parbench.hpp) and what is generated from the command line:
// a program of one's own (examples/histogram) gets the whole CLI with its kernel in it, and
// the shell completion and man pages name every subcommand and flag.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "backends/registry.hpp"
#include "bench/records.hpp"
#include "cli/cli_reference.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "kernels/registry.hpp"
#include "parbench/parbench.hpp"
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
  fs::path dir = fs::path(testing::TempDir()) / (name + "_" + std::to_string(::getpid()));
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

TEST(api, a_program_of_its_own_lists_its_kernel_and_backend_after_the_built_in_ones) {
  const command_result r = run_command(histogram + " list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NE(r.output.find("\n  histogram "), std::string::npos) << r.output;
  EXPECT_LT(r.output.find("\n  pi "), r.output.find("\n  histogram "));
  ASSERT_NE(r.output.find("\n  async "), std::string::npos) << r.output;
  EXPECT_LT(r.output.find("\n  serial "), r.output.find("\n  async "));
  EXPECT_LT(r.output.find("\n  async "), r.output.find("kernels in this build"));
}

// Its backend runs the built-in kernels too, with their serial result.
TEST(api, its_backend_runs_a_built_in_kernel_with_the_serial_result) {
  for (const char* kernel : {"pi", "stepped", "histogram"}) {
    const command_result r = run_command(histogram + " pi --kernel " + kernel + " -b serial,async -w 3 -n 200000");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("all backends agree"), std::string::npos) << kernel << "\n" << r.output;
    EXPECT_NE(r.output.find("\nasync "), std::string::npos) << r.output;
  }
}

// Every CPU backend, the process ones included (their workers are this program), gives the
// serial result; `pi -b all` checks the agreement itself and says so.
TEST(api, its_kernel_runs_through_every_backend_with_the_serial_result) {
  const command_result r = run_command(histogram + " pi --kernel histogram -b all -w 3 -n 300001 --timeout 60");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("all backends agree"), std::string::npos) << r.output;
  for (const char* backend : {"serial", "threads", "fork", "spawn", "forkserver", "async"})
    EXPECT_NE(r.output.find(std::string("\n") + backend + " "), std::string::npos) << backend << "\n" << r.output;
}

TEST(api, its_kernel_gets_report_rows_like_a_built_in_one) {
  const fs::path out = fresh_dir("api_report") / "report";
  const command_result r =
      run_command(histogram + " run --kernel histogram -b serial,threads,spawn -w 1,2 -n 1e6 -r 2 " +
                  "--no-overhead --no-break-even --quiet --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = read_file(out / "results.csv");
  std::istringstream lines(csv);
  std::string line;
  int rows = 0;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.rfind(fmt::format("{},histogram,1,", parbench::bench::schema_version), 0), 0u)
        << line;  // schema, kernel, kernel version
    if (line.find(",raw,") != std::string::npos && line.find(",ok,") != std::string::npos) ++rows;
  }
  EXPECT_EQ(rows, 5 * 2);  // serial W=1, threads and spawn W=1,2: 5 configurations x 2 repetitions, all ok
  fs::remove_all(out.parent_path());
}

// A second kernel called pi: what PARBENCH_REGISTER_KERNEL does with it before main.
class second_pi final : public parbench::kernel {
 public:
  std::string_view name() const noexcept override { return "pi"; }
  int version() const noexcept override { return 1; }
  std::string_view description() const noexcept override { return "a name that is taken"; }
  std::string_view unit() const noexcept override { return "samples"; }
  std::vector<parbench::kernel_param> params() const override { return {}; }
  std::shared_ptr<const parbench::kernel_job> make_job(const parbench::job_spec&) const override { return nullptr; }
};

TEST(api, a_registration_that_fails_before_main_ends_the_program_with_exit_2) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT((void)parbench::detail::register_kernel_type<second_pi>(), ::testing::ExitedWithCode(2),
              "parbench: error: a kernel called 'pi' is already registered");
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

namespace {

// Every subcommand has its section in docs/cli.md, and the API page exists where the README
// points to it.
TEST(api_docs, every_subcommand_is_documented_in_docs_cli) {
  const fs::path root = PARBENCH_SOURCE_DIR;
  const std::string cli = read_file(root / "docs" / "cli.md");
  for (const auto& c : reference().commands)
    EXPECT_NE(cli.find("`parbench " + c.name), std::string::npos) << c.name << " is not in docs/cli.md";
  const std::string api = read_file(root / "docs" / "api.md");
  for (const char* name :
       {"PARBENCH_MAIN()", "PARBENCH_REGISTER_KERNEL", "PARBENCH_REGISTER_BACKEND", "parbench::cli_main",
        "find_package(parbench", "parbench::parbench", "pkg-config", "cpack -G DEB", "scripts/check-install"})
    EXPECT_NE(api.find(name), std::string::npos) << name << " is not in docs/api.md";
  EXPECT_NE(read_file(root / "README.md").find("## Your own kernel"), std::string::npos);
}

}  // namespace
