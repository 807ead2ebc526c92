#include "kernels/imbalanced/profile.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace parbench::kernels::imbalanced {
namespace {

// SplitMix64's finaliser: a chunk's position in the heavy and random profiles.
std::uint64_t mix(std::uint64_t seed, std::uint64_t chunk) noexcept {
  std::uint64_t z = seed ^ (chunk * 0x9E3779B97F4A7C15ull) ^ 0x696d62616c616e63ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

profile parse_profile(std::string_view text) {
  if (text == "heavy") return profile::heavy;
  if (text == "random") return profile::random;
  PARBENCH_ASSERT(text == "ramp");  // the kernel's parameter declaration validated it
  return profile::ramp;
}

std::string_view to_string(profile p) noexcept {
  switch (p) {
    case profile::heavy: return "heavy";
    case profile::random: return "random";
    case profile::ramp: break;
  }
  return "ramp";
}

std::uint64_t chunk_weight(profile p, std::uint64_t max_weight, std::uint64_t seed, std::uint64_t chunk,
                           std::uint64_t chunks) noexcept {
  switch (p) {
    case profile::ramp:
      // Every weight 1..max_weight equally often (for chunks a multiple of max_weight).
      return 1 + max_weight * chunk / chunks;
    case profile::heavy: return mix(seed, chunk) % 16 == 0 ? max_weight : 1;
    case profile::random: {
      // 2^32 / (u + 1) for u uniform in [0, 2^32): >= k with probability ~ 1/k.
      const std::uint64_t u = mix(seed, chunk) >> 32;
      return std::clamp<std::uint64_t>((std::uint64_t{1} << 32) / (u + 1), 1, max_weight);
    }
  }
  return 1;
}

}  // namespace parbench::kernels::imbalanced
