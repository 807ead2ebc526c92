#pragma once
// Cost profiles of the imbalanced kernel: how many times its base length chunk c draws.
// Integer arithmetic only, so a chunk's cost is the same on every machine.

#include <cstdint>
#include <string_view>

namespace parbench::kernels::imbalanced {

enum class profile {
  ramp,    ///< weight 1 + floor(max_weight * c / chunks): rises linearly from 1 to the maximum
  heavy,   ///< one chunk in 16, at seeded positions, has the maximum weight; the rest 1
  random,  ///< seeded, heavy-tailed: P(weight >= k) ~ 1/k (Pareto, alpha = 1), capped
};

profile parse_profile(std::string_view text);
std::string_view to_string(profile p) noexcept;

/// Weight of chunk `chunk` of `chunks` under `p`, in 1..max_weight.
std::uint64_t chunk_weight(profile p, std::uint64_t max_weight, std::uint64_t seed, std::uint64_t chunk,
                           std::uint64_t chunks) noexcept;

}  // namespace parbench::kernels::imbalanced
