// `parbench __man DIR` (hidden): writes the man pages, parbench.1 and parbench-<command>.1, from
// the command-line definition itself (cli/cli_reference.hpp). The build runs it, so the
// installed pages cannot drift from the binary.

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cli/cli_reference.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/version.hpp"
#include "reports/report_writer.hpp"

namespace parbench::cli {
namespace {

// roff text: backslashes and hyphens escaped, no line starting with a control character.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string header(const std::string& title, const std::string& program) {
  return fmt::format(".TH {} 1 \"\" \"{} {}\" \"User Commands\"\n", roff(upper(title)), roff(program), version);
}

std::string option_lines(const option_reference& o) {
  std::string names;
  for (const auto& n : o.names) names += fmt::format("{}\\fB{}\\fR", names.empty() ? "" : ", ", roff(n));
  if (o.positional) names = fmt::format("\\fI{}\\fR", roff(o.names.front()));
  const std::string value = o.positional || o.value_name.empty() ? "" : fmt::format(" \\fI{}\\fR", roff(o.value_name));
  return fmt::format(".TP\n{}{}\n{}\n", names, value, roff(o.description));
}

std::string command_page(const cli_reference& ref, const command_reference& c) {
  std::string synopsis = fmt::format(".B {} {}\n[\\fIOPTIONS\\fR]", roff(ref.program), roff(c.name));
  for (const auto& o : c.options)
    if (o.positional) synopsis += fmt::format(" \\fI{}\\fR", roff(o.names.front()));
  std::string options;
  for (const auto& o : c.options) options += option_lines(o);
  return fmt::format(
      "{}"
      ".SH NAME\n{}\\-{} \\- {}\n"
      ".SH SYNOPSIS\n{}\n"
      ".SH OPTIONS\n{}"
      ".SH EXIT STATUS\n"
      "0 ok, 1 a regression found (compare), 2 a usage or input error, 3 a worker or run failed, 4 a report "
      "I/O error, 128+N interrupted by signal N.\n"
      ".SH SEE ALSO\n\\fB{}\\fR(1); docs/cli.md in the parbench documentation.\n",
      header(ref.program + "-" + c.name, ref.program), roff(ref.program), roff(c.name), roff(c.description), synopsis,
      options, roff(ref.program));
}

std::string main_page(const cli_reference& ref) {
  std::string commands;
  std::string see_also;
  for (const auto& c : ref.commands) {
    commands += fmt::format(".TP\n\\fB{}\\fR\n{}\n", roff(c.name), roff(c.description));
    see_also += fmt::format("{}\\fB{}\\-{}\\fR(1)", see_also.empty() ? "" : ", ", roff(ref.program), roff(c.name));
  }
  return fmt::format(
      "{}"
      ".SH NAME\n{} \\- compare parallelism models on shared, deterministic workloads\n"
      ".SH SYNOPSIS\n.B {}\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
      ".SH DESCRIPTION\n{}\n"
      ".SH COMMANDS\n{}"
      ".SH OPTIONS\n.TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint help and exit.\n"
      ".TP\n\\fB\\-\\-version\\fR\nPrint the version and exit.\n"
      ".SH EXIT STATUS\n"
      "0 ok, 1 a regression found (compare), 2 a usage or input error, 3 a worker or run failed, 4 a report "
      "I/O error, 128+N interrupted by signal N.\n"
      ".SH SEE ALSO\n{}\n",
      header(ref.program, ref.program), roff(ref.program), roff(ref.program), roff(ref.description), commands,
      see_also);
}

}  // namespace

void add_man_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("__man", "Write the man pages into a folder");
  cmd->group("");  // hidden: the build runs it
  cmd->add_option("directory", *dir, "Folder for <program>.1 and <program>-<command>.1")->required();
  cmd->callback([dir, &app] {
    const cli_reference ref = describe_cli(app);
    const std::filesystem::path out(*dir);
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) throw report_error(fmt::format("cannot create {}: {}", out.string(), ec.message()));
    reports::write_file_atomically(out / (ref.program + ".1"), main_page(ref));
    for (const auto& c : ref.commands)
      reports::write_file_atomically(out / fmt::format("{}-{}.1", ref.program, c.name), command_page(ref, c));
  });
}

}  // namespace parbench::cli
