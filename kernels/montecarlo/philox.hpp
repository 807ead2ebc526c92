#pragma once
// The random stream of the pi kernel, written once for host and device: the CPU
// kernels (all instruction-set paths) and the CUDA kernel include this file, so
// the stream cannot silently diverge between them. Tested against Random123's
// known-answer vectors in tests/kernels_test.cpp.

#include <cstdint>

#if defined(__CUDACC__)
#define PARBENCH_HD __host__ __device__ __forceinline__
#else
#define PARBENCH_HD inline
#endif

namespace parbench::kernels {

inline constexpr std::uint32_t philox_m0 = 0xD2511F53u;
inline constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;
inline constexpr std::uint32_t philox_w0 = 0x9E3779B9u;  // golden ratio
inline constexpr std::uint32_t philox_w1 = 0xBB67AE85u;  // sqrt(3) - 1
inline constexpr int philox_rounds = 10;

struct philox_block {
  std::uint32_t v[4];
};

/// One Philox4x32 round (Salmon et al., SC'11), as in Random123's philox.h.
PARBENCH_HD void philox_round(std::uint32_t& c0, std::uint32_t& c1, std::uint32_t& c2, std::uint32_t& c3,
                              std::uint32_t k0, std::uint32_t k1) {
  const std::uint64_t p0 = static_cast<std::uint64_t>(philox_m0) * c0;
  const std::uint64_t p1 = static_cast<std::uint64_t>(philox_m1) * c2;
  const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
  const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
  c0 = hi1 ^ c1 ^ k0;
  c1 = lo1;
  c2 = hi0 ^ c3 ^ k1;
  c3 = lo0;
}

/// Philox4x32-10 of counter `c` under key (k0, k1).
PARBENCH_HD philox_block philox4x32_10(philox_block c, std::uint32_t k0, std::uint32_t k1) {
  for (int r = 0; r < philox_rounds; ++r) {
    if (r > 0) {
      k0 += philox_w0;
      k1 += philox_w1;
    }
    philox_round(c.v[0], c.v[1], c.v[2], c.v[3], k0, k1);
  }
  return c;
}

/// Counter of block `block` of chunk `chunk`: the stream is addressed by (seed, chunk).
/// Word 3 tags the stream layout so other kernels can share a seed without overlap.
PARBENCH_HD philox_block pi_counter(std::uint64_t chunk, std::uint32_t block) {
  return {{block, static_cast<std::uint32_t>(chunk), static_cast<std::uint32_t>(chunk >> 32), 0x70690001u}};
}

/// Exact inside test for x = X * 2^-32, y = Y * 2^-32: x*x + y*y <= 1 holds exactly when
/// X*X + Y*Y < 2^64, i.e. when the 64-bit sum does not wrap. No floating point involved.
PARBENCH_HD std::uint32_t inside(std::uint32_t x, std::uint32_t y) {
  const std::uint64_t x2 = static_cast<std::uint64_t>(x) * x;
  const std::uint64_t sum = x2 + static_cast<std::uint64_t>(y) * y;
  return sum >= x2 ? 1u : 0u;
}

/// Hits among samples [first, last) of chunk `chunk` under `seed`, a block (two samples) at a
/// time; `first` is even. The scalar reference, and what the vector paths leave over.
PARBENCH_HD std::uint64_t philox_hits(std::uint64_t seed, std::uint64_t chunk, std::uint64_t first,
                                      std::uint64_t last) {
  const auto k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  std::uint64_t hits = 0;
  for (std::uint64_t i = first; i < last; i += 2) {
    const philox_block r = philox4x32_10(pi_counter(chunk, static_cast<std::uint32_t>(i / 2)), k0, k1);
    hits += inside(r.v[0], r.v[1]);
    if (i + 1 < last) hits += inside(r.v[2], r.v[3]);
  }
  return hits;
}

}  // namespace parbench::kernels
