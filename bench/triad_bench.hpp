#pragma once
// STREAM triad bandwidth: a bare OpenMP triad loop (the reference, as BabelStream's OpenMP
// model writes it) and every CPU backend on the triad kernel, in one parbench_kernel_bench run.

#include <cstdint>

namespace parbench::bench {

/// Elements per array: PARBENCH_BENCH_TRIAD_ELEMENTS, else at least 4x the L3 cache the machine
/// reports (sysconf), and at least 2^25.
std::uint64_t triad_bench_elements();

/// Passes per timed iteration (the kernel's `passes`).
inline constexpr unsigned triad_bench_passes = 10;

/// Registers `triad/openmp_reference/W` (when OpenMP is built in) and `triad/<backend>/W` for
/// every backend that runs the triad kernel and is usable here, W in {1, cores}. One iteration
/// is triad_bench_passes passes over the arrays; counter "bytes/s" counts 24 bytes per element
/// per pass (STREAM's rule). Backends: the job's set-up pass runs once through the backend
/// before timing, the verification pass after (a failure fails the benchmark).
void register_triad_benchmarks();

}  // namespace parbench::bench
