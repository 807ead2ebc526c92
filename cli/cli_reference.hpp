#pragma once
// One walk over the command-line definition, from which shell completion and man pages are
// generated, so neither can drift from the CLI (issue: install it).

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace parbench::cli {

/// What an option's value can be, for completion.
enum class value_kind {
  none,       ///< a flag
  free,       ///< a number or any text: nothing to complete
  words,      ///< one of `choices`, or a comma-separated list of them
  path,       ///< a file or folder
  directory,  ///< a folder
};

struct option_reference {
  std::vector<std::string> names;  ///< "-b", "--backend"; a positional's name alone
  bool positional = false;
  std::string value_name;  ///< CLI11's type name ("TEXT", "UINT", ...); empty for flags
  std::string description;
  value_kind kind = value_kind::free;
  std::vector<std::string> choices;  ///< kind == words
};

struct command_reference {
  std::string name;
  std::string description;
  std::vector<option_reference> options;  ///< --help first
};

struct cli_reference {
  std::string program;
  std::string description;
  std::vector<command_reference> commands;  ///< visible subcommands, in definition order
};

/// The visible subcommands and options of `app`, with the values each option takes: backend,
/// kernel and schedule names from the registries, parameter names from the kernels.
[[nodiscard]] cli_reference describe_cli(const CLI::App& app);

}  // namespace parbench::cli
