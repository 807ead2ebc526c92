#include "core/backend_style.hpp"

#include <array>
#include <string>

namespace parbench {
namespace {

// matplotlib's tab10 and eight filled markers: the same lists as reports/plot.py.
constexpr std::array<std::string_view, 10> fallback_colours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr std::array<std::string_view, 8> fallback_markers = {"o", "s", "^", "D", "v", "P", "X", "*"};

}  // namespace

backend_style fallback_style(std::string_view name) {
  const std::uint32_t h = fnv1a_32(name);
  return {std::string(fallback_colours[h % fallback_colours.size()]),
          std::string(fallback_markers[(h / fallback_colours.size()) % fallback_markers.size()])};
}

backend_style style_of(std::string_view name, const backend_abilities& abilities) {
  return abilities.style ? *abilities.style : fallback_style(name);
}

}  // namespace parbench
