#include "cli/cli_reference.hpp"

#include <algorithm>
#include <string_view>

#include "backends/registry.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/registry.hpp"

namespace parbench::cli {
namespace {

void add_unique(std::vector<std::string>& into, std::string value) {
  if (std::find(into.begin(), into.end(), value) == into.end()) into.push_back(std::move(value));
}

std::vector<std::string> backend_words(bool with_all) {
  std::vector<std::string> out;
  for (const auto& e : registered_backends()) out.push_back(e.name);
  if (with_all) out.emplace_back("all");
  return out;
}

std::vector<std::string> kernel_words() {
  std::vector<std::string> out;
  for (const auto& k : registered_kernels()) out.emplace_back(k->name());
  out.emplace_back("all");
  return out;
}

std::vector<std::string> schedule_words() {
  std::vector<std::string> out{"default", "all"};
  for (const auto& e : registered_backends())
    for (const auto& s : e.make()->abilities().schedules) add_unique(out, s.name);
  return out;
}

// The parameters the kernels declare, as "name=" (and "name=value" for choices).
std::vector<std::string> param_words() {
  std::vector<std::string> out;
  for (const auto& k : registered_kernels())
    for (const auto& p : k->params()) {
      add_unique(out, p.name + "=");
      for (const auto& c : p.choices) add_unique(out, p.name + "=" + c);
    }
  return out;
}

// The choices of one kernel parameter across every kernel that declares it (e.g. rng).
std::vector<std::string> param_choices(std::string_view name) {
  std::vector<std::string> out;
  for (const auto& k : registered_kernels())
    for (const auto& p : k->params())
      if (p.name == name)
        for (const auto& c : p.choices) add_unique(out, c);
  return out;
}

// The values an option takes, from its long name: the one place that maps flags to registries.
void classify(option_reference& ref, std::string_view long_name) {
  const auto words = [&](std::vector<std::string> choices) {
    ref.kind = value_kind::words;
    ref.choices = std::move(choices);
  };
  if (long_name == "backend") {
    words(backend_words(true));
  } else if (long_name == "inner") {
    words(backend_words(false));
  } else if (long_name == "kernel") {
    words(kernel_words());
  } else if (long_name == "schedule") {
    words(schedule_words());
  } else if (long_name == "param") {
    words(param_words());
  } else if (long_name == "rng") {
    words(param_choices("rng"));
  } else if (long_name == "isa") {
    std::vector<std::string> isas;
    for (const auto p : {kernels::isa::scalar, kernels::isa::avx2, kernels::isa::avx512})
      isas.emplace_back(kernels::to_string(p));
    words(std::move(isas));
  } else if (long_name == "scaling") {
    words({"strong", "weak"});
  } else if (long_name == "shell") {
    words({"bash", "zsh"});
  } else if (long_name == "suite" || long_name == "markdown") {
    ref.kind = value_kind::path;
  } else if (long_name == "out" || long_name == "report" || long_name == "baseline" || long_name == "current" ||
             long_name == "directory") {
    ref.kind = value_kind::directory;
  }
}

option_reference describe_option(const CLI::Option& opt) {
  option_reference ref;
  ref.positional = opt.nonpositional() == false;
  ref.description = opt.get_description();
  std::string long_name;
  if (ref.positional) {
    ref.names.push_back(opt.get_name());
    long_name = opt.get_name();
  } else {
    for (const auto& s : opt.get_snames()) ref.names.push_back("-" + s);
    for (const auto& l : opt.get_lnames()) ref.names.push_back("--" + l);
    if (!opt.get_lnames().empty()) long_name = opt.get_lnames().front();
  }
  if (opt.get_expected_max() == 0) {
    ref.kind = value_kind::none;
    return ref;
  }
  ref.value_name = opt.get_type_name();
  classify(ref, long_name);
  return ref;
}

}  // namespace

cli_reference describe_cli(const CLI::App& app) {
  cli_reference out;
  out.program = app.get_name();
  out.description = app.get_description();
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    command_reference cmd;
    cmd.name = sub->get_name();
    cmd.description = sub->get_description();
    for (const CLI::Option* opt : sub->get_options()) cmd.options.push_back(describe_option(*opt));
    out.commands.push_back(std::move(cmd));
  }
  return out;
}

}  // namespace parbench::cli
