// parbench::cli_main: the whole command line, for parbench itself and for programs that embed it
// with their own kernels and backends (include/parbench/parbench.hpp).

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

#include "backends/mpi/mpi_job.hpp"
#include "backends/process/early.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/signals.hpp"
#include "core/version.hpp"
#include "parbench/parbench.hpp"

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
  add_completion_command(app);
  add_man_command(app);
}

namespace {

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

void parbench::detail::registration_failed(const error& e) noexcept {
  std::fprintf(stderr, "parbench: error: %s\n", e.what());
  std::exit(static_cast<int>(e.code()));
}

// A function-try-block: nothing may escape, not even from setting up the CLI.
int parbench::cli_main(int argc, char** argv) try {
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
  CLI::App app;
  parbench::cli::add_commands(app, argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "parbench");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the parse error
    return code == 0 ? 0 : static_cast<int>(parbench::exit_code::usage);
  } catch (const parbench::error& e) {
    parbench::signals::wait_if_stopping();  // interrupted: the signal decides the exit status
    std::fflush(stdout);
    fmt::print(stderr, "parbench: error: {}\n", e.what());
    parbench::mpi::abort_job_on_error(static_cast<int>(e.code()));  // no rank left waiting
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    parbench::signals::wait_if_stopping();
    std::fflush(stdout);
    fmt::print(stderr, "parbench: error: {}\n", e.what());
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
  std::fprintf(stderr, "parbench: error: %s\n", e.what());
  return static_cast<int>(parbench::exit_code::run_failed);
}
