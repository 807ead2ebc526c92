#include "reports/compare_conditions.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "reports/stats.hpp"

namespace parbench::reports {
namespace {

void add(conditions_difference& d, const std::string& part, bool badly) {
  if (!d.text.empty()) d.text += "; ";
  d.text += part;
  d.badly = d.badly || badly;
}

std::string share(double fraction) { return fmt::format("{:.0f}%", 100.0 * fraction); }

}  // namespace

conditions_difference compare_conditions(const measurement_conditions& baseline, const measurement_conditions& current,
                                         const condition_limits& limits) {
  conditions_difference d;
  const auto both = [](const std::vector<double>& b, const std::vector<double>& c) { return !b.empty() && !c.empty(); };
  if (both(baseline.other_cpu, current.other_cpu)) {
    const double b = median(baseline.other_cpu), c = median(current.other_cpu);
    if (std::abs(c - b) >= limits.other_cpu_differ)
      add(d, fmt::format("other processes used {} of the machine (baseline) vs {} (current)", share(b), share(c)),
          std::abs(c - b) >= limits.other_cpu_badly);
  }
  if (both(baseline.steal, current.steal)) {
    const double b = median(baseline.steal), c = median(current.steal);
    if (std::abs(c - b) >= limits.steal_differ)
      add(d, fmt::format("steal time {} of the machine (baseline) vs {} (current)", share(b), share(c)),
          std::abs(c - b) >= limits.steal_badly);
  }
  if (both(baseline.cpu_per_wall, current.cpu_per_wall)) {
    const double b = median(baseline.cpu_per_wall), c = median(current.cpu_per_wall);
    const double change = b > 0 ? c / b - 1.0 : 0.0;
    if (std::abs(change) >= limits.cpu_per_wall_differ)
      add(d, fmt::format("the run kept {:.2f} CPUs busy (baseline) vs {:.2f} (current)", b, c),
          std::abs(change) >= limits.cpu_per_wall_badly);
  }
  if (both(baseline.load1_start, current.load1_start)) {
    const double b = median(baseline.load1_start), c = median(current.load1_start);
    if (std::abs(c - b) >= limits.load1_differ)
      add(d, fmt::format("load average at the start {:.2f} (baseline) vs {:.2f} (current)", b, c), false);
  }
  return d;
}

}  // namespace parbench::reports
