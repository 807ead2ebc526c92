// parbench::cli_main: the whole command line, for parbench itself and for programs that embed it
// with their own kernels and backends (include/parbench/parbench.hpp).

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include "backends/mpi/mpi_job.hpp"
#include "backends/process/early.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/signals.hpp"
#include "core/subprocess.hpp"
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
  add_ab_command(app);
  add_completion_command(app);
  add_man_command(app);
}

void parbench::detail::registration_failed(const error& e) noexcept {
  std::fprintf(stderr, "parbench: error: %s\n", e.what());
  std::exit(static_cast<int>(e.code()));
}

// A function-try-block: nothing may escape, not even from setting up the CLI.
int parbench::cli_main(int argc, char** argv, const char* data_directory) try {
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
  // Output that could not be written (a full disk, /dev/full) is an error, not a success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    std::fprintf(stderr, "parbench: error: cannot write to standard output: %s\n", std::strerror(errno));
    return static_cast<int>(parbench::exit_code::report_io);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "parbench: error: %s\n", e.what());
  return static_cast<int>(parbench::exit_code::run_failed);
}
