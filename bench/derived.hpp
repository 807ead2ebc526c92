#pragma once
// Derived metrics: pure functions of measured times (no timing, no I/O), so they can
// be tested with synthetic numbers.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bench/records.hpp"

namespace parbench::bench {

/// Statistics of a sample of wall times.
struct time_summary {
  unsigned count = 0;
  double median = 0;
  double mean = 0;
  double min = 0;
  double max = 0;
  std::optional<double> stddev;  ///< sample (n-1) standard deviation; empty when count < 2
  std::optional<double> cv;      ///< stddev / mean; empty when count < 2
};

/// Summary of `values`; empty when there are none.
std::optional<time_summary> summarize(std::span<const double> values);

/// The median (mean of the two middle values for an even count); `values` must not be empty.
double median(std::vector<double> values);

/// Speedup S = t_serial / t.
double speedup(double t_serial, double t) noexcept;

/// Efficiency S / W.
double efficiency(double speedup, unsigned workers) noexcept;

/// Karp–Flatt serial fraction e = (1/S - 1/W) / (1 - 1/W); empty for W <= 1 or S <= 0.
std::optional<double> karp_flatt(double speedup, unsigned workers) noexcept;

/// Synchronisation cost per step (EPCC's syncbench): (time of a run of `steps` steps - time of
/// the same work in one step) / steps. Can be negative within the noise.
double sync_per_step(double t_steps, double t_one_step, unsigned steps) noexcept;

/// One aggregate row per configuration (kernel, kernel_version, params, backend, kind, isa,
/// schedule, scaling, workers, ranks, size, seed) of `raw`, in first-seen order, over its ok
/// repetitions: median wall and cpu time, spread, throughput in the kernel's unit, and
/// speedup/efficiency/Karp–Flatt against the serial reference (kind "reference") of the same
/// kernel, version and parameters at the same size (any schedule divides the same serial time).
/// Weak scaling: the reference is serial at size/W, times W. A configuration without ok
/// repetitions gives an aggregate with status "failed" and the first error. A stepped
/// configuration gets sync_per_step_s (and its range) from the aggregate of its single-step
/// configuration (result_row::single_step_params and single_step_size), when that is ok.
std::vector<result_row> aggregate(const std::vector<result_row>& raw);

/// Whether `a` beats the serial `reference` beyond the spread of the repetitions: its slowest
/// repetition is faster than the reference's fastest (both ok).
bool beats_reference(const result_row& a, const result_row& reference) noexcept;

/// For each (kernel, params, non-reference backend, schedule, W >= 2) among strong-scaling
/// aggregates: the smallest size at which the backend beats the serial reference at that size
/// (beats_reference) and at every larger size tried (empty when it does not beat it at the
/// largest size). W = 1 gets no row: one worker can only "beat" serial by noise.
std::vector<break_even_row> break_even(const std::vector<result_row>& aggregates);

}  // namespace parbench::bench
