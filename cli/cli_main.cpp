// parbench::cli_main: the whole command line, for parbench itself and for programs that embed it
// with their own kernels and backends (include/parbench/parbench.hpp).

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/mpi/mpi_job.hpp"
#include "backends/process/early.hpp"
#include "backends/process/worker.hpp"
#include "cli/commands.hpp"
#include "core/console_text.hpp"
#include "core/errors.hpp"
#include "core/signals.hpp"
#include "core/subprocess.hpp"
#include "core/version.hpp"
#include "parbench/parbench.hpp"

namespace {

// An empty value means nothing for any option (`-r ''` ran with the default repetitions,
// `--out ''` wrote into the current folder): every option that takes a value refuses it.
void reject_empty_values(CLI::App& app) {
  const CLI::Validator non_empty(
      [](const std::string& value) {
        return value.empty() ? std::string("an empty value means nothing; give one, or leave the option out")
                             : std::string();
      },
      "", "non-empty");
  for (CLI::App* sub : app.get_subcommands({})) {
    for (CLI::Option* opt : sub->get_options())
      if (opt->get_type_size_max() > 0) opt->check(non_empty);
    reject_empty_values(*sub);
  }
}

// The edit distance of a and b, a swap of neighbours counting as one (optimal string alignment).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" for the nearest candidate within two edits, else nothing.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates)
    if (const std::size_t d = edit_distance(word, c); d < best_distance && d < c.size()) {
      best = c;
      best_distance = d;
    }
  return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
}

std::vector<std::string> visible_subcommands(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({}))
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  return names;
}

// Every spelling of the subcommand's options: --long and -s.
std::vector<std::string> option_names(const CLI::App& sub) {
  std::vector<std::string> names = {"--help"};
  for (const CLI::Option* opt : sub.get_options()) {
    for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
    for (const auto& n : opt->get_snames()) names.push_back("-" + n);
  }
  return names;
}

// CLI11's own words for a parse error, on one line: "A subcommand is required\nRun with --help".
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// CLI11's message for an unexpected argument, with the flag or subcommand meant, and where
// to look: one line, like every other error of parbench.
std::string parse_error_message(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  const std::string program = app.get_name();
  const std::vector<std::string> commands = visible_subcommands(app);
  CLI::App* sub = nullptr;
  if (argc > 1) {
    for (CLI::App* s : app.get_subcommands({}))
      if (s->get_name() == argv[1]) sub = s;
  }
  if (sub == nullptr) {
    const std::string choices = fmt::format("choose from: {}", fmt::join(commands, ", "));
    if (argc > 1 && argv[1][0] != '-')
      return fmt::format("unknown subcommand '{}'{}; {}; see '{} --help'", argv[1], did_you_mean(argv[1], commands),
                         choices, program);
    if (argc > 1 && argv[1][0] == '-')  // not --help or --version: CLI11 handled those
      return fmt::format("unknown option '{}' for '{}'{}; {}; see '{} --help'", argv[1], program,
                         did_you_mean(argv[1], {"--help", "--version"}), choices, program);
    return fmt::format("a subcommand is required; {}; see '{} --help'", choices, program);
  }
  const std::string help = fmt::format("see '{} {} --help'", program, sub->get_name());
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    // CLI11 lists the extras last first: "... not expected: 5 --smaples".
    std::string listed = first_line(e.what());
    listed = listed.substr(listed.find(": ") + 2);
    std::vector<std::string> extras;
    for (std::size_t at = 0; at < listed.size();) {
      const std::size_t space = std::min(listed.find(' ', at), listed.size());
      extras.insert(extras.begin(), listed.substr(at, space - at));
      at = space + 1;
    }
    for (const auto& x : extras)
      if (x.size() > 1 && x[0] == '-' && !std::isdigit(static_cast<unsigned char>(x[1]))) {
        const std::string flag = x.substr(0, x.find('='));
        return fmt::format("unknown option '{}' for '{} {}'{}; {}", flag, program, sub->get_name(),
                           did_you_mean(flag, option_names(*sub)), help);
      }
    if (!extras.empty())
      return fmt::format("unexpected argument '{}' for '{} {}'; {}", extras.front(), program, sub->get_name(), help);
  }
  return fmt::format("{}; {}", first_line(e.what()), help);
}

// A descriptor 0-2 that the caller closed (`parbench list >&-`) would be reused by the next
// file opened (the forkserver's socket, a report file), and output meant for the terminal
// would go there. Each closed one is opened on /dev/null before anything else opens a file.
// Returns whether stdout was closed, or nullopt when /dev/null cannot be opened.
std::optional<bool> open_closed_standard_fds() noexcept {
  bool stdout_closed = false;
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    stdout_closed = stdout_closed || fd == STDOUT_FILENO;
    // The lowest free descriptor: this one, as those below it are open.
    if (::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) != fd) return std::nullopt;
  }
  return stdout_closed;
}

}  // namespace

void parbench::cli::add_commands(CLI::App& app, const std::string& program) {
  app.name(program);
  app.description(
      "parbench: compare parallelism models (threads, OpenMP, oneTBB, processes, MPI, GPU)\n"
      "on shared, deterministic workloads.");
  app.set_version_flag("--version", std::string("parbench ") + parbench::version);
  app.require_subcommand(1);
  add_list_command(app);
  add_pi_command(app);
  add_run_command(app);
  add_overhead_command(app);
  add_plot_command(app);
  add_compare_command(app);
  add_ab_command(app);
  add_completion_command(app);
  add_man_command(app);
  reject_empty_values(app);
}

void parbench::detail::registration_failed(const error& e) noexcept {
  std::fprintf(stderr, "parbench: error: %s\n", parbench::console_text(e.what()).c_str());
  std::exit(static_cast<int>(e.code()));
}

// A function-try-block: nothing may escape, not even from setting up the CLI.
int parbench::cli_main(int argc, char** argv, const char* data_directory) try {
  const std::optional<bool> stdout_closed = open_closed_standard_fds();
  if (!stdout_closed) return static_cast<int>(parbench::exit_code::report_io);
  // Before CLI11 and before any thread pool: the spawn backend's hidden worker mode, and the
  // forkserver, which must be forked while this process is still small and single-threaded.
  if (const auto worker_status = parbench::process::early_main(argc, argv)) return *worker_status;
  // SIGINT/SIGTERM/SIGHUP go to one watcher thread from here on (docs/reliability.md). Before
  // MPI starts: its threads must inherit the block, or a SIGTERM from the launcher would end
  // a rank by the default action, with no clean-up.
  parbench::signals::install();
  // Under mpirun/srun only rank 0 prints (rank 0 alone writes reports, too).
  parbench::mpi::silence_unless_root();
  // Ranks other than 0 run their shares of rank 0's `mpi` runs and never parse their own
  // arguments: rank 0's command line is the job's.
  if (const auto rank_status = parbench::mpi::serve_unless_root()) return *rank_status;
  if (data_directory != nullptr && *data_directory != '\0') parbench::subprocess::set_data_directory(data_directory);
  CLI::App app;
  parbench::cli::add_commands(app, argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "parbench");

  try {
    // The test-only fault hook is checked as a whole before any command prints or runs.
    parbench::process::check_fault_env();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    fmt::print(stderr, "parbench: error: {}\n", parbench::console_text(parse_error_message(app, e, argc, argv)));
    return static_cast<int>(parbench::exit_code::usage);
  } catch (const parbench::error& e) {
    parbench::signals::wait_if_stopping();  // interrupted: the signal decides the exit status
    std::fflush(stdout);
    fmt::print(stderr, "parbench: error: {}\n", parbench::console_text(e.what()));
    parbench::mpi::abort_job_on_error(static_cast<int>(e.code()));  // no rank left waiting
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    parbench::signals::wait_if_stopping();
    std::fflush(stdout);
    fmt::print(stderr, "parbench: error: {}\n", parbench::console_text(e.what()));
    parbench::mpi::abort_job_on_error(static_cast<int>(parbench::exit_code::run_failed));
    return static_cast<int>(parbench::exit_code::run_failed);
  }
  // Output that could not be written (a full disk, /dev/full, a closed stdout) is an error, not a
  // success.
  if (*stdout_closed) {
    std::fprintf(stderr,
                 "parbench: error: cannot write to standard output: it was closed (%s); redirect it to a "
                 "file or /dev/null instead\n",
                 std::strerror(EBADF));
    return static_cast<int>(parbench::exit_code::report_io);
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    std::fprintf(stderr, "parbench: error: cannot write to standard output: %s\n", std::strerror(errno));
    return static_cast<int>(parbench::exit_code::report_io);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "parbench: error: %s\n", parbench::console_text(e.what()).c_str());
  return static_cast<int>(parbench::exit_code::run_failed);
}
