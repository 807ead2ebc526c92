#pragma once
// Start-up overhead, EPCC-style: for each backend and W, back-to-back calls of
// backend::start_empty(W) form one timed outer repetition (Google Benchmark iterations,
// as many as fill ~10 ms); the
// per-call time of a reference loop (the same calls to a backend that starts nothing)
// is subtracted; median and spread are taken over `outer` repetitions.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bench/progress.hpp"
#include "bench/records.hpp"
#include "bench/runner.hpp"

namespace parbench::bench {

/// One overhead.csv row from per-call times (seconds) of each outer repetition and the
/// reference per-call time (seconds). `per_call_s` must not be empty.
overhead_row summarize_overhead(std::string mechanism, std::string backend, unsigned workers,
                                std::span<const double> per_call_s, double reference_per_call_s, unsigned inner_reps,
                                std::uint64_t parent_rss_bytes);

/// Measures every backend of `plan` at every W of `plan` (plan.settings.overhead_repetitions
/// outer repetitions). A backend whose start_empty fails is noted and left out.
std::vector<overhead_row> measure_overhead(run_plan& plan, progress& progress);

}  // namespace parbench::bench
