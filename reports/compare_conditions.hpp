#pragma once
// Whether two sides of a comparison were measured under alike conditions (issue 15): the
// share of the machine other processes used, steal time and CPUs kept busy per repetition
// (results.csv schema 4, cpu_s). A gate on a shared runner must say when a verdict was made
// while the machine was busy on one side only.

#include <string>

#include "reports/compare.hpp"

namespace parbench::reports {

/// Limits on the difference of the sides' medians. `differ`: worth a warning; `badly`: the
/// difference alone can move throughput by more than a typical threshold.
struct condition_limits {
  double other_cpu_differ = 0.15, other_cpu_badly = 0.30;        ///< absolute, share of the machine
  double steal_differ = 0.05, steal_badly = 0.15;                ///< absolute, share of the machine
  double cpu_per_wall_differ = 0.20, cpu_per_wall_badly = 0.35;  ///< relative change
  double load1_differ = 1.0;                                     ///< absolute; never `badly`
};

struct conditions_difference {
  std::string text;  ///< "other processes used 2% of the machine (baseline) vs 45% (current)"; empty = alike
  bool badly = false;
};

/// Compares the medians of what both sides recorded; a quantity recorded on one side only
/// is not compared.
[[nodiscard]] conditions_difference compare_conditions(const measurement_conditions& baseline,
                                                       const measurement_conditions& current,
                                                       const condition_limits& limits = {});

}  // namespace parbench::reports
