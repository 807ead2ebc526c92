// `parbench list`: the backends in this build, straight from the registry.

#include <fmt/format.h>

#include "backends/registry.hpp"
#include "cli/commands.hpp"
#include "kernels/montecarlo/isa.hpp"

namespace parbench::cli {

void add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List the backends compiled into this build");
  cmd->callback([] {
    fmt::print("backends in this build:\n");
    for (const auto& entry : registered_backends()) {
      const auto b = entry.make();
      const availability a = b->probe();
      fmt::print("  {:<11} {}{}\n", entry.name, entry.description,
                 a.usable ? "" : fmt::format(" [unavailable: {}]", a.reason));
    }
    std::string isas;
    for (auto p : kernels::supported_isas()) isas += (isas.empty() ? "" : ", ") + std::string(kernels::to_string(p));
    fmt::print("kernel path: {} (this CPU supports: {}; force with PARBENCH_ISA)\n",
               kernels::to_string(kernels::active_isa()), isas);
  });
}

}  // namespace parbench::cli
