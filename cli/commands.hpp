#pragma once
// Each subcommand lives in its own file and adds itself to the app here.
// A subcommand's callback throws parbench::error; main maps it to an exit code.

#include <CLI/CLI.hpp>

#include <string>

namespace parbench::cli {

/// Every subcommand, on an app named `program` (the executable's file name: completion and man
/// pages name it).
void add_commands(CLI::App& app, const std::string& program);

/// `--threshold` (a percentage, with or without '%', in [0, 100)) or `--alpha` (in (0, 0.5)) as a
/// fraction; throws usage_error naming `what`.
[[nodiscard]] double parse_fraction(std::string text, const char* what, bool percent);

void add_list_command(CLI::App& app);
void add_pi_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_overhead_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_ab_command(CLI::App& app);
void add_completion_command(CLI::App& app);  // shell completion, generated from `app`
void add_man_command(CLI::App& app);         // man pages, generated from `app` (hidden)

}  // namespace parbench::cli
