#pragma once
// summary.md: the run's console summary as GitHub-flavoured markdown (a pull request, a CI step
// summary, a note to a colleague): a one-line header, every summary table, the warnings.
// Every value taken from a report or the machine is made safe with reports::markdown_text.

#include <string>
#include <vector>

#include "cli/console_summary.hpp"

namespace parbench::cli {

/// One table as markdown: its title as a heading, the table (text columns left-, numbers
/// right-aligned), its notes as paragraphs.
std::string markdown_layout(const summary_table& table);

/// The whole document. `header`: the line the console prints first (version, suite, machine,
/// build); `warnings`: trust_warnings(); `machine`: the line below it (the machine's shape and
/// the pinning), none when empty.
std::string summary_markdown(const std::string& header, const std::vector<summary_table>& tables,
                             const std::vector<std::string>& warnings, const std::string& machine = {});

}  // namespace parbench::cli
