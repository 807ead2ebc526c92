#pragma once
// The yardstick for the light generator: Monte Carlo pi with a chunk-keyed xoshiro128+ per SIMD
// lane, at the vector width of each instruction-set path (parbench_kernel_bench only).

#include <cstdint>

namespace parbench::bench {

/// Hits among `chunks` chunks of 2^16 points; chunk c's lanes are seeded from (seed, c, lane)
/// with SplitMix64, each point takes two 32-bit outputs (X, Y) of its lane's generator, and the
/// inside test is the kernels' exact X*X + Y*Y < 2^64. Call only where the CPU has the extension.
std::uint64_t xoshiro_hits_avx2(std::uint64_t seed, std::uint64_t chunks);
std::uint64_t xoshiro_hits_avx512(std::uint64_t seed, std::uint64_t chunks);

}  // namespace parbench::bench
