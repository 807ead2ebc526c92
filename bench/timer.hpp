#pragma once
// The clock every timed region uses, and how finely it ticks (metadata.json "timer").

#include <string_view>

namespace parbench::bench {

/// The clock the runner and the start-up measurement time with.
inline constexpr std::string_view timer_clock = "std::chrono::steady_clock";

/// The smallest non-zero difference between two consecutive steady_clock::now() calls, in
/// nanoseconds: the median of a few tries, each the smallest step seen in a short loop.
[[nodiscard]] double measure_timer_resolution_ns();

}  // namespace parbench::bench
