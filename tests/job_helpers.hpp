#pragma once
// Jobs of any kernel with a given number of chunks, whatever the kernel's chunk length and
// however its size maps to chunks (pi: 2^16 samples per chunk; stepped: 2^12 per step).

#include <cstdint>
#include <memory>

#include "core/errors.hpp"
#include "core/kernel.hpp"

namespace parbench::test_jobs {

enum class last_chunk { partial, full };

/// A job of `k` with exactly `chunks` chunks: the smallest size that has them (its last chunk
/// is as short as it gets) or the largest (every chunk full).
inline std::shared_ptr<const kernel_job> job_with_chunks(const kernel& k, std::uint64_t chunks, std::uint64_t seed,
                                                         const param_values& params = {},
                                                         last_chunk last = last_chunk::partial) {
  // A size too small for the kernel (stepped: fewer samples than steps) counts as no chunks.
  const auto chunks_of = [&](std::uint64_t size) -> std::uint64_t {
    try {
      return k.make_job(complete_spec(k, size, seed, params))->chunk_count();
    } catch (const usage_error&) {
      return 0;
    }
  };
  // The smallest size with at least `bound` chunks, by bisection (chunk counts grow with size).
  const auto smallest_with = [&](std::uint64_t bound) {
    std::uint64_t lo = 1, hi = 1;
    while (chunks_of(hi) < bound) hi *= 2;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (chunks_of(mid) >= bound)
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  };
  std::uint64_t size = smallest_with(chunks);
  if (last == last_chunk::full) {
    // The largest size with `chunks` chunks: one less than the smallest with more; kernels
    // whose size is a multiple of a step count round down to it.
    size = smallest_with(chunks + 1) - 1;
  }
  return k.make_job(complete_spec(k, size, seed, params));
}

}  // namespace parbench::test_jobs
