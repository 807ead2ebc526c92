#include "bench/ab_order.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace parbench::bench {
namespace {

// SplitMix64: a small, fixed generator, so that an order is the same on every platform.
std::uint64_t next(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

ab_order_kind parse_ab_order(std::string_view text) {
  if (text == "abba") return ab_order_kind::abba;
  if (text == "random") return ab_order_kind::random;
  throw usage_error(fmt::format("unknown --order '{}': choose abba or random", text));
}

std::vector<char> ab_schedule(unsigned rounds, ab_order_kind kind, std::uint64_t seed) {
  std::vector<char> order;
  order.reserve(2 * static_cast<std::size_t>(rounds));
  std::uint64_t state = seed;
  for (unsigned r = 0; r < rounds; ++r) {
    bool a_first = true;
    if (kind == ab_order_kind::abba) {
      a_first = r % 2 == 0;  // AB, then BA: ABBA per two rounds
    } else {
      a_first = (next(state) & 1U) == 0;
    }
    order.push_back(a_first ? 'A' : 'B');
    order.push_back(a_first ? 'B' : 'A');
  }
  return order;
}

}  // namespace parbench::bench
