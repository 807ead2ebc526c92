#pragma once
// The order in which an interleaved A/B measurement (`parbench ab`) runs its two sides: one
// repetition of each side per round, alternated so that load that drifts during the job falls
// on both sides alike.

#include <cstdint>
#include <string_view>
#include <vector>

namespace parbench::bench {

enum class ab_order_kind {
  abba,    ///< blocks of A B B A: a linear drift over a block costs both sides the same
  random,  ///< blocks of two, A B or B A, chosen by a seeded generator
};

/// "abba" or "random"; throws usage_error naming the choices.
[[nodiscard]] ab_order_kind parse_ab_order(std::string_view text);

/// The side of each run, 'A' or 'B', `rounds` of each (2 * rounds in all): balanced (every
/// block of ABBA, or every pair in random order, holds as many A as B) and deterministic for
/// a seed. rounds >= 1.
[[nodiscard]] std::vector<char> ab_schedule(unsigned rounds, ab_order_kind kind, std::uint64_t seed);

}  // namespace parbench::bench
