#include "kernels/registry.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/parse.hpp"

namespace parbench {
namespace detail {
// Defined in the registration file CMake generates from kernels/CMakeLists.txt.
void register_builtin_kernels(std::vector<std::unique_ptr<kernel>>& into);
}  // namespace detail

namespace {
std::vector<std::unique_ptr<kernel>>& entries() {
  static std::vector<std::unique_ptr<kernel>> list = [] {
    std::vector<std::unique_ptr<kernel>> builtin;
    detail::register_builtin_kernels(builtin);
    return builtin;
  }();
  return list;
}
}  // namespace

const std::vector<std::unique_ptr<kernel>>& registered_kernels() { return entries(); }

std::string kernel_names() {
  std::string out;
  for (const auto& k : registered_kernels()) out += (out.empty() ? "" : ", ") + std::string(k->name());
  return out;
}

const kernel& find_kernel(std::string_view name) {
  for (const auto& k : registered_kernels())
    if (k->name() == name) return *k;
  throw usage_error(fmt::format("unknown kernel '{}'; choose from: {}", name, kernel_names()));
}

std::vector<const kernel*> parse_kernel_list(std::string_view text) {
  std::vector<const kernel*> out;
  if (text == "all") {
    for (const auto& k : registered_kernels()) out.push_back(k.get());
    return out;
  }
  if (text.empty()) throw usage_error(fmt::format("empty --kernel list; choose from: {}, or all", kernel_names()));
  for (const std::string_view item : parse_name_list(text, "kernel", "--kernel")) out.push_back(&find_kernel(item));
  return out;
}

std::shared_ptr<const kernel_job> make_job(const job_spec& spec) {
  const kernel& k = find_kernel(spec.kernel);
  job_spec complete = complete_spec(k, spec.size, spec.seed, spec.params);
  complete.phase = spec.phase;
  return k.make_job(complete);
}

std::shared_ptr<const kernel_job> make_job(std::string_view name, std::uint64_t size, std::uint64_t seed,
                                           const param_values& params) {
  const kernel& k = find_kernel(name);
  return k.make_job(complete_spec(k, size, seed, params));
}

void register_kernel(std::unique_ptr<kernel> k) {
  const std::string_view name = k->name();
  if (name.empty() || name == "all" || name.find_first_of(",; \t=") != std::string_view::npos)
    throw usage_error(fmt::format("'{}' cannot name a kernel: use letters, digits, '-' or '_'", name));
  for (const auto& existing : entries())
    if (existing->name() == k->name())
      throw usage_error(fmt::format("a kernel called '{}' is already registered", k->name()));
  entries().push_back(std::move(k));
}

}  // namespace parbench
