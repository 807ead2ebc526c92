#pragma once
// The GPU's unit of work, written for host and device: a slice of `slice_samples`
// consecutive samples inside one chunk of the kernel's layout (kernels/montecarlo/sampler.hpp), drawn
// from the same stream code as the CPU (kernels/montecarlo/philox.hpp, kernels/montecarlo/light.hpp). The
// CUDA kernel sums slices; tests/cuda_test.cpp checks on the CPU that the slices of
// every chunk add up to kernels::count_chunk_hits_scalar.

#include <cstdint>

#include "kernels/montecarlo/light.hpp"
#include "kernels/montecarlo/philox.hpp"
#include "kernels/montecarlo/sampler.hpp"

// `#pragma unroll` for device code only (the host compiler would warn about it).
#if defined(__CUDA_ARCH__)
#define PARBENCH_PRAGMA(x) _Pragma(#x)
#define PARBENCH_UNROLL(n) PARBENCH_PRAGMA(unroll n)
#else
#define PARBENCH_UNROLL(n)
#endif

namespace parbench::backends::detail {

/// Samples per slice: a GPU thread's unit of work. Even (Philox draws samples in pairs)
/// and a divisor of kernels::chunk_samples, so a slice never straddles two chunks.
inline constexpr std::uint32_t slice_samples = 64;
inline constexpr std::uint64_t slices_per_chunk = kernels::chunk_samples / slice_samples;
static_assert(slice_samples % 2 == 0 && kernels::chunk_samples % slice_samples == 0);

/// Slices needed to cover the samples of `job`; slice s holds samples [s*64, s*64 + 64) ∩ [0, n).
PARBENCH_HD std::uint64_t slice_count(const kernels::pi_job& job) {
  return job.samples / slice_samples + (job.samples % slice_samples != 0 ? 1 : 0);
}

/// Philox hits among samples [first, first + length) of `chunk`; `first` is even.
/// Sample i of a chunk is (v0, v1) of block i/2 when i is even, (v2, v3) when odd,
/// exactly as in kernels::count_chunk_hits_scalar.
PARBENCH_HD std::uint32_t philox_slice_hits(std::uint64_t chunk, std::uint32_t first, std::uint32_t length,
                                            std::uint32_t k0, std::uint32_t k1) {
  std::uint32_t hits = 0;
  const std::uint32_t block0 = first / 2;
  const std::uint32_t pairs = length / 2;
  // Independent Philox blocks per iteration keep the integer pipes busy (ILP).
  PARBENCH_UNROLL(8)
  for (std::uint32_t j = 0; j < pairs; ++j) {
    const kernels::philox_block r = kernels::philox4x32_10(kernels::pi_counter(chunk, block0 + j), k0, k1);
    hits += kernels::inside(r.v[0], r.v[1]) + kernels::inside(r.v[2], r.v[3]);
  }
  if (length % 2 != 0) {  // odd n: the last sample of the last chunk uses (v0, v1) only
    const kernels::philox_block r = kernels::philox4x32_10(kernels::pi_counter(chunk, block0 + pairs), k0, k1);
    hits += kernels::inside(r.v[0], r.v[1]);
  }
  return hits;
}

/// Light-generator hits among samples [first, first + length) of the chunk with key `key`.
PARBENCH_HD std::uint32_t light_slice_hits(std::uint64_t key, std::uint32_t first, std::uint32_t length) {
  std::uint32_t hits = 0;
  PARBENCH_UNROLL(8)
  for (std::uint32_t i = 0; i < length; ++i) {
    const std::uint64_t bits = kernels::light_bits(key, first + i);
    hits += kernels::inside(static_cast<std::uint32_t>(bits >> 32), static_cast<std::uint32_t>(bits));
  }
  return hits;
}

/// Hits of slice `slice` of `job` (precondition: slice < slice_count(job)). Full slices take
/// a constant-length path the compiler unrolls; only the last slice of the last chunk can be short.
template <kernels::rng_kind Rng>
PARBENCH_HD std::uint32_t slice_hits(const kernels::pi_job& job, std::uint64_t slice) {
  const std::uint64_t chunk = slice / slices_per_chunk;
  const auto first = static_cast<std::uint32_t>((slice % slices_per_chunk) * slice_samples);
  const std::uint64_t available = job.chunk_length(chunk) - first;
  const bool full = available >= slice_samples;
  if constexpr (Rng == kernels::rng_kind::philox) {
    const auto k0 = static_cast<std::uint32_t>(job.seed), k1 = static_cast<std::uint32_t>(job.seed >> 32);
    return full ? philox_slice_hits(chunk, first, slice_samples, k0, k1)
                : philox_slice_hits(chunk, first, static_cast<std::uint32_t>(available), k0, k1);
  } else {
    const std::uint64_t key = kernels::light_chunk_key(job.seed, chunk);
    return full ? light_slice_hits(key, first, slice_samples)
                : light_slice_hits(key, first, static_cast<std::uint32_t>(available));
  }
}

/// Slices [first, last) of chunks [first_chunk, last_chunk) of `job` (empty when the range is).
struct slice_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
PARBENCH_HD slice_range slices_of_chunks(const kernels::pi_job& job, std::uint64_t first_chunk,
                                         std::uint64_t last_chunk) {
  const std::uint64_t all = slice_count(job);
  const std::uint64_t first = first_chunk * slices_per_chunk < all ? first_chunk * slices_per_chunk : all;
  const std::uint64_t last = last_chunk * slices_per_chunk < all ? last_chunk * slices_per_chunk : all;
  return {first, last > first ? last : first};
}

/// Hits of thread `thread` of `threads` in a grid-stride loop over slices [first, last): the
/// slices first + thread, first + thread + threads, ... Summed over all threads, every slice
/// counts once. The caller keeps the count below 2^32 (see max_slices_per_launch).
template <kernels::rng_kind Rng>
PARBENCH_HD std::uint32_t grid_stride_hits(const kernels::pi_job& job, std::uint64_t first, std::uint64_t last,
                                           std::uint64_t thread, std::uint64_t threads) {
  std::uint32_t hits = 0;
  for (std::uint64_t s = first + thread; s < last; s += threads) hits += slice_hits<Rng>(job, s);
  return hits;
}

/// The most slices one launch of `threads` threads may cover so that no thread's 32-bit count
/// can wrap (each thread then takes at most 2^26 - 1 slices of 64 samples), capped at `wanted`.
PARBENCH_HD std::uint64_t max_slices_per_launch(std::uint64_t threads, std::uint64_t wanted) {
  const std::uint64_t per_thread = (std::uint64_t{1} << 32) / slice_samples - 1;
  const std::uint64_t bound = threads * per_thread;
  const std::uint64_t w = wanted > 0 ? wanted : 1;
  return w < bound ? w : bound;
}

}  // namespace parbench::backends::detail
