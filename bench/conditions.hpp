#pragma once
// The conditions one repetition was measured under, read from the kernel's counters
// (/proc/stat, /proc/loadavg): how much of the machine other processes used while it ran,
// how much time the hypervisor stole, and the load at its start. The regression gate compares
// them between two reports (reports/compare.cpp) and says when a verdict was made under
// conditions that differ.

#include <chrono>
#include <optional>
#include <string_view>

namespace parbench::bench {

/// CPU time of the whole machine since boot (every CPU together), in seconds.
struct machine_cpu_times {
  double busy_s = 0;   ///< user + nice + system + irq + softirq
  double steal_s = 0;  ///< time the hypervisor ran something else on our virtual CPUs
};

/// The aggregate "cpu" line of a /proc/stat text; nullopt when it has none or it is malformed.
[[nodiscard]] std::optional<machine_cpu_times> parse_proc_stat(std::string_view text, double ticks_per_s);
/// The 1-minute load average of a /proc/loadavg text; nullopt when malformed.
[[nodiscard]] std::optional<double> parse_loadavg(std::string_view text);

/// What one repetition saw; each field is nullopt where the kernel does not show it.
struct repetition_conditions {
  /// CPU used by other processes during the repetition, as a fraction of the machine's
  /// capacity (online CPUs x elapsed time): 0 = the machine was ours, 0.5 = half of it was busy
  /// with other work. Read in clock ticks (10 ms per CPU), so short repetitions read coarsely.
  std::optional<double> other_cpu;
  /// Steal time as a fraction of the machine's capacity (virtual machines).
  std::optional<double> steal;
  /// The 1-minute load average when the repetition started.
  std::optional<double> load1_start;
};

/// Brackets one repetition: construct before it, call finish() after it with the CPU time
/// parbench itself (and its children) used meanwhile.
class conditions_probe {
 public:
  conditions_probe();
  [[nodiscard]] repetition_conditions finish(double own_cpu_s) const;

 private:
  std::optional<machine_cpu_times> start_;
  std::optional<double> load1_;
  std::chrono::steady_clock::time_point t0_;
};

/// From two readings: `own_cpu_s` is subtracted from the machine's busy time; `cpus` online
/// CPUs over `elapsed_s` seconds are the capacity. Fractions are clamped to [0, 1].
[[nodiscard]] repetition_conditions conditions_between(const machine_cpu_times& before, const machine_cpu_times& after,
                                                       double own_cpu_s, double elapsed_s, unsigned cpus);

}  // namespace parbench::bench
