#pragma once
// The colour and marker a backend or peer gets in plots and reports (metadata.json
// "backend_styles"): its declared style, else one derived from its name alone, so that a name
// looks the same in every plot and every report. reports/plot.py computes the same fallback.

#include <cstdint>
#include <string_view>

#include "core/backend.hpp"

namespace parbench {

/// The style of a name that declares none: h = FNV-1a 32-bit of the UTF-8 name, colour =
/// fallback_colours[h % 10], marker = fallback_markers[(h / 10) % 8] (docs/report-format.md).
[[nodiscard]] backend_style fallback_style(std::string_view name);

/// `abilities.style`, or fallback_style(name) when the backend declares none.
[[nodiscard]] backend_style style_of(std::string_view name, const backend_abilities& abilities);

/// 32-bit FNV-1a (offset basis 2166136261, prime 16777619) of the bytes of `text`.
[[nodiscard]] constexpr std::uint32_t fnv1a_32(std::string_view text) noexcept {
  std::uint32_t h = 2166136261u;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

}  // namespace parbench
