// `parbench list`: the backends and kernels in this build, straight from the registries.

#include <fmt/format.h>

#include "backends/registry.hpp"
#include "cli/commands.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/registry.hpp"

namespace parbench::cli {
namespace {

std::string param_text(const kernel_param& p) {
  if (p.kind == kernel_param::type::choice) {
    std::string choices;
    for (const auto& c : p.choices) choices += (choices.empty() ? "" : "|") + c;
    return fmt::format("{}={} (default {})", p.name, choices, p.default_value);
  }
  return fmt::format("{}=<integer {}..{}> (default {})", p.name, p.min, p.max, p.default_value);
}

}  // namespace

void add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List the backends and kernels compiled into this build");
  cmd->callback([] {
    fmt::print("backends in this build:\n");
    for (const auto& entry : registered_backends()) {
      const auto b = entry.make();
      const availability a = b->probe();
      const backend_abilities abilities = b->abilities();
      fmt::print("  {:<11} {}{}\n", entry.name, entry.description,
                 a.usable ? "" : fmt::format(" [unavailable: {}]", a.reason));
      std::string schedules;
      for (const auto& s : abilities.schedules)
        schedules += fmt::format("{}{}{}", schedules.empty() ? "" : ", ", s.name, s.takes_grain ? "[:N]" : "");
      fmt::print("  {:<11}   schedules: {}{}\n", "", schedules,
                 abilities.schedules_of_inner ? " (with --inner: that model's)" : "");
      if (!abilities.kernels.empty()) {
        std::string ks;
        for (const auto& k : abilities.kernels) ks += (ks.empty() ? "" : ", ") + k;
        fmt::print("  {:<11}   kernels: {} only\n", "", ks);
      }
    }
    fmt::print("kernels in this build:\n");
    for (const auto& k : registered_kernels()) {
      fmt::print("  {:<11} {} (version {}, unit {})\n", k->name(), k->description(), k->version(), k->unit());
      for (const auto& p : k->params()) fmt::print("  {:<11}   --param {}: {}\n", "", param_text(p), p.description);
    }
    std::string isas;
    for (auto p : kernels::supported_isas()) isas += (isas.empty() ? "" : ", ") + std::string(kernels::to_string(p));
    fmt::print("kernel path: {} (this CPU supports: {}; force with PARBENCH_ISA)\n",
               kernels::to_string(kernels::active_isa()), isas);
  });
}

}  // namespace parbench::cli
