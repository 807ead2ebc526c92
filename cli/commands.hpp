#pragma once
// Each subcommand lives in its own file and adds itself to the app here.
// A subcommand's callback throws parbench::error; main maps it to an exit code.

#include <CLI/CLI.hpp>

namespace parbench::cli {

void add_list_command(CLI::App& app);
void add_pi_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_overhead_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_compare_command(CLI::App& app);

}  // namespace parbench::cli
