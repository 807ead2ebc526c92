#include "bench/timer.hpp"

#include <chrono>
#include <vector>

#include "bench/derived.hpp"

namespace parbench::bench {

double measure_timer_resolution_ns() {
  using clock = std::chrono::steady_clock;
  constexpr int tries = 5, steps_per_try = 200;
  std::vector<double> smallest;
  smallest.reserve(tries);
  for (int t = 0; t < tries; ++t) {
    double best = 0;
    for (int i = 0; i < steps_per_try; ++i) {
      const auto a = clock::now();
      auto b = clock::now();
      // A clock coarser than a call: wait for its next tick (bounded, so a stuck clock ends).
      for (int spin = 0; b == a && spin < 1000000; ++spin) b = clock::now();
      const double ns = std::chrono::duration<double, std::nano>(b - a).count();
      if (ns > 0 && (best == 0 || ns < best)) best = ns;
    }
    smallest.push_back(best);
  }
  return median(smallest);
}

}  // namespace parbench::bench
