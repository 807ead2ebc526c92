#pragma once
// How backends with a fixed split cut the chunks: worker w of W gets a contiguous
// block. Only *who runs which chunk* depends on W; the chunks themselves never do.

#include <cstdint>

namespace parbench {

struct chunk_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  ///< one past the end
  [[nodiscard]] constexpr bool empty() const noexcept { return first == last; }
};

/// Block `worker` of `workers` over `chunks` chunks; sizes differ by at most one.
constexpr chunk_range partition(std::uint64_t chunks, unsigned workers, unsigned worker) noexcept {
  const std::uint64_t base = chunks / workers, extra = chunks % workers;
  const std::uint64_t first = worker * base + (worker < extra ? worker : extra);
  return {first, first + base + (worker < extra ? 1 : 0)};
}

}  // namespace parbench
