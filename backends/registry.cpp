#include "backends/registry.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.hpp"
#include "core/parse.hpp"

namespace parbench {
namespace detail {

// Defined in the registration file CMake generates from backends/CMakeLists.txt.
void register_builtin_backends();
extern const std::vector<std::string_view> known_backends;

namespace {
std::vector<backend_entry>& entries() {
  static std::vector<backend_entry> list;
  return list;
}
}  // namespace

void register_backend(std::string name, std::string description, backend_factory make) {
  entries().push_back({std::move(name), std::move(description), std::move(make)});
}

}  // namespace detail

const std::vector<backend_entry>& registered_backends() {
  static const bool registered = [] {
    detail::register_builtin_backends();
    return true;
  }();
  (void)registered;
  return detail::entries();
}

void register_backend(std::string name, std::string description, backend_factory make) {
  for (const auto& existing : registered_backends())  // the built-in ones first
    if (existing.name == name) throw usage_error(fmt::format("a backend called '{}' is already registered", name));
  if (name.empty() || name == "all" || name.find_first_of(", \t") != std::string::npos)
    throw usage_error(fmt::format("'{}' cannot name a backend: use letters, digits, '-' or '_'", name));
  detail::register_backend(std::move(name), std::move(description), std::move(make));
}

const std::vector<std::string_view>& known_backend_names() { return detail::known_backends; }

std::string backend_names() {
  std::string out;
  for (const auto& e : registered_backends()) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

void check_inner(std::string_view inner, const std::vector<const backend_entry*>& backends) {
  (void)find_backend(inner);
  std::string names;
  for (const backend_entry* e : backends) {
    // A nesting backend's schedules are its inner model's: the mark of one that has an inner model.
    if (e->make()->abilities().schedules_of_inner) return;
    names += (names.empty() ? "" : ", ") + e->name;
  }
  throw usage_error(
      fmt::format("--inner {}: no backend of this command ({}) runs a model inside it, so it would mean "
                  "nothing; use it with a nesting backend (--backend mpi), or leave it out",
                  inner, names));
}

const backend_entry& find_backend(std::string_view name) {
  for (const auto& e : registered_backends())
    if (e.name == name) return e;
  const auto& known = known_backend_names();
  if (std::find(known.begin(), known.end(), name) != known.end()) {
    throw usage_error(
        fmt::format("backend '{}' is not in this build (configure with its PARBENCH_WITH_* option "
                    "and its dependencies installed); built backends: {}",
                    name, backend_names()));
  }
  throw usage_error(fmt::format("unknown backend '{}'; choose from: {}, or all", name, backend_names()));
}

std::vector<const backend_entry*> parse_backend_list(std::string_view text) {
  std::vector<const backend_entry*> out;
  if (text == "all") {
    for (const auto& e : registered_backends()) out.push_back(&e);
    return out;
  }
  if (text.empty()) throw usage_error(fmt::format("empty --backend list; choose from: {}, or all", backend_names()));
  for (const std::string_view item : parse_name_list(text, "backend", "--backend")) out.push_back(&find_backend(item));
  return out;
}

}  // namespace parbench
