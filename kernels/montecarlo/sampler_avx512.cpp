// The AVX-512 path of the pi kernel: 8 Philox counters (or light samples) per
// vector, U vectors in flight to hide the multiply latency of the round chain.
// Each 64-bit lane holds one 32-bit word in its low half; _mm512_mul_epu32 reads
// only the low halves, so the garbage the high halves collect never matters.
//
// The target is set per function (not per file) so that the inline functions of
// philox.hpp / light.hpp are never emitted as AVX-512 copies the linker could
// pick for the baseline path.

// GCC 12 warns inside its own AVX-512 headers (the self-initialised `__Y` of
// _mm512_undefined_epi32, GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/light.hpp"
#include "kernels/montecarlo/philox.hpp"
#include "kernels/montecarlo/sampler.hpp"

// With GCC, also its first scheduling pass (off by default on x86), pressure-aware: these
// loops run short of registers, and it measured 5-10% faster on Zen 4.
#if defined(__clang__)
#define PARBENCH_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,popcnt")))
#else
#define PARBENCH_AVX512 \
  __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,popcnt"), optimize("schedule-insns", "sched-pressure")))
#endif

namespace parbench::kernels {
namespace {

constexpr int philox_unroll = 6;
constexpr int light_unroll = 12;

// Lanes where x*x + y*y < 2^64 (low 32 bits of x and y used). Counting the mask with
// popcnt moves the count off the vector pipes, which are the bottleneck.
PARBENCH_AVX512 inline std::uint64_t count_inside(__m512i x, __m512i y) {
  const __m512i x2 = _mm512_mul_epu32(x, x);
  const __m512i sum = _mm512_add_epi64(x2, _mm512_mul_epu32(y, y));
  return static_cast<std::uint64_t>(__builtin_popcount(_cvtmask8_u32(_mm512_cmpge_epu64_mask(sum, x2))));
}

PARBENCH_AVX512 inline __m512i hi32(__m512i p) { return _mm512_srli_epi64(p, 32); }

// a ^ b ^ c in one instruction.
PARBENCH_AVX512 inline __m512i xor3(__m512i a, __m512i b, __m512i c) {
  return _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

// Hits among Philox blocks [first, last) (both samples of each) of `chunk`;
// last - first is a multiple of 8 * U.
template <int U>
PARBENCH_AVX512 std::uint64_t philox_blocks(std::uint64_t seed, std::uint64_t chunk, std::uint32_t last,
                                            std::uint32_t first = 0) {
  std::uint32_t k0[philox_rounds], k1[philox_rounds];
  k0[0] = static_cast<std::uint32_t>(seed);
  k1[0] = static_cast<std::uint32_t>(seed >> 32);
  for (int r = 1; r < philox_rounds; ++r) {
    k0[r] = k0[r - 1] + philox_w0;
    k1[r] = k1[r - 1] + philox_w1;
  }
  // Words 1..3 of the counter are the same for every block of the chunk, so half of
  // rounds 0 and 1 is a per-chunk constant (see pi_counter).
  const philox_block ctr = pi_counter(chunk, 0);
  const std::uint64_t q1 = std::uint64_t{philox_m1} * ctr.v[2];
  const auto r0_c0 = static_cast<std::uint32_t>(q1 >> 32) ^ ctr.v[1] ^ k0[0];
  const auto r0_c1 = static_cast<std::uint32_t>(q1);
  const std::uint64_t q0 = std::uint64_t{philox_m0} * r0_c0;
  const auto r1_hi0 = static_cast<std::uint32_t>(q0 >> 32);
  const auto r1_c3 = static_cast<std::uint32_t>(q0);

  const __m512i m0 = _mm512_set1_epi64(philox_m0), m1 = _mm512_set1_epi64(philox_m1);
  const __m512i r0_x2 = _mm512_set1_epi64(ctr.v[3] ^ k1[0]);
  const __m512i r1_x0 = _mm512_set1_epi64(r0_c1 ^ k0[1]);
  const __m512i r1_x2 = _mm512_set1_epi64(r1_hi0 ^ k1[1]);
  const __m512i r2_x2 = _mm512_set1_epi64(r1_c3 ^ k1[2]);
  __m512i kv0[philox_rounds], kv1[philox_rounds];
  for (int r = 0; r < philox_rounds; ++r) {
    kv0[r] = _mm512_set1_epi64(k0[r]);
    kv1[r] = _mm512_set1_epi64(k1[r]);
  }
  // m0 * block for the 8U blocks of one step, advanced by m0 * 8U (exact in 64 bits).
  __m512i p0_base[U];
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  for (int u = 0; u < U; ++u)
    p0_base[u] = _mm512_mul_epu32(_mm512_add_epi64(lane, _mm512_set1_epi64(first + 8 * u)), m0);
  const __m512i p0_step = _mm512_set1_epi64(std::uint64_t{philox_m0} * 8 * U);

  std::uint64_t hits = 0;
  for (std::uint32_t b = first; b < last; b += 8 * U) {
    __m512i c0[U], c1[U], c2[U], c3[U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      // Round 0: only c0 (the block index) varies; m0 * c0 comes from the running product.
      const __m512i p0 = p0_base[u];
      p0_base[u] = _mm512_add_epi64(p0, p0_step);
      c2[u] = _mm512_xor_si512(hi32(p0), r0_x2);
      c3[u] = p0;
      // Round 1: the product m0 * c0 is a per-chunk constant.
      const __m512i p1 = _mm512_mul_epu32(c2[u], m1);
      c0[u] = _mm512_xor_si512(hi32(p1), r1_x0);
      c1[u] = p1;
      c2[u] = _mm512_xor_si512(c3[u], r1_x2);
      // Round 2: c3 is the per-chunk constant lo(m0 * c0) of round 1.
      const __m512i q0v = _mm512_mul_epu32(c0[u], m0), q1v = _mm512_mul_epu32(c2[u], m1);
      c0[u] = xor3(hi32(q1v), c1[u], kv0[2]);
      c1[u] = q1v;
      c2[u] = _mm512_xor_si512(hi32(q0v), r2_x2);
      c3[u] = q0v;
    }
#pragma GCC unroll 8
    for (int r = 3; r < philox_rounds; ++r) {
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) {
        const __m512i p0 = _mm512_mul_epu32(c0[u], m0), p1 = _mm512_mul_epu32(c2[u], m1);
        c0[u] = xor3(hi32(p1), c1[u], kv0[r]);
        c1[u] = p1;
        c2[u] = xor3(hi32(p0), c3[u], kv1[r]);
        c3[u] = p0;
      }
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      hits += count_inside(c0[u], c1[u]) + count_inside(c2[u], c3[u]);
    }
  }
  return hits;
}

// SplitMix64's finaliser, lane-wise (light_bits of light.hpp).
PARBENCH_AVX512 inline __m512i splitmix_mix(__m512i z) {
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64(0xBF58476D1CE4E5B9ull));
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64(0x94D049BB133111EBull));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

// Hits among samples [first, last) of a light chunk with key `key`; last - first is a
// multiple of 8 * U. Each vector's chain (two 64-bit products, three shift-xors, two squares)
// is long next to its 14 vector instructions, so many vectors must be in flight: measured on
// Zen 5, U = 12 runs about 9% faster than U = 4 (8, 10, 14, 16, 20, 24 land in between; the
// result is the same for any U).
template <int U>
PARBENCH_AVX512 std::uint64_t light_samples(std::uint64_t key, std::uint32_t last, std::uint32_t first = 0) {
  constexpr std::uint64_t gamma = 0x9E3779B97F4A7C15ull;
  const __m512i lane = _mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1);  // light_bits uses i + 1
  __m512i z[U];
  for (int u = 0; u < U; ++u)
    z[u] = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(key)),
                            _mm512_mullo_epi64(_mm512_add_epi64(lane, _mm512_set1_epi64(first + 8 * u)),
                                               _mm512_set1_epi64(static_cast<long long>(gamma))));
  constexpr std::uint64_t step_increment = gamma * 8 * U;
  const __m512i step = _mm512_set1_epi64(static_cast<long long>(step_increment));
  std::uint64_t hits = 0;
  for (std::uint32_t i = first; i < last; i += 8 * U) {
#pragma GCC unroll 32
    for (int u = 0; u < U; ++u) {
      const __m512i bits = splitmix_mix(z[u]);
      z[u] = _mm512_add_epi64(z[u], step);
      hits += count_inside(hi32(bits), bits);
    }
  }
  return hits;
}

PARBENCH_AVX512 std::uint64_t chunk_hits(rng_kind rng, std::uint64_t seed, std::uint64_t chunk, std::uint64_t length) {
  std::uint64_t hits = 0;
  if (rng == rng_kind::philox) {
    const auto full_blocks = static_cast<std::uint32_t>(length / 2);
    // Most blocks with U vectors in flight, the rest a vector at a time, the last odd sample scalar.
    const std::uint32_t wide_blocks = full_blocks - full_blocks % (8 * philox_unroll);
    const std::uint32_t vector_blocks = full_blocks - full_blocks % 8;
    hits = philox_blocks<philox_unroll>(seed, chunk, wide_blocks);
    if (vector_blocks > wide_blocks) hits += philox_blocks<1>(seed, chunk, vector_blocks, wide_blocks);
    hits += philox_hits(seed, chunk, 2 * std::uint64_t{vector_blocks}, length);
  } else {
    // Most samples with U vectors in flight, the rest a vector at a time, the last few scalar.
    const std::uint64_t key = light_chunk_key(seed, chunk);
    const auto wide_samples = static_cast<std::uint32_t>(length - length % (8 * light_unroll));
    const auto vector_samples = static_cast<std::uint32_t>(length - length % 8);
    hits = light_samples<light_unroll>(key, wide_samples);
    if (vector_samples > wide_samples) hits += light_samples<1>(key, vector_samples, wide_samples);
    hits += light_hits(key, vector_samples, length);
  }
  return hits;
}

}  // namespace

namespace detail {

PARBENCH_AVX512 std::uint64_t count_hits_avx512(const pi_job& job, std::uint64_t first, std::uint64_t last) {
  std::uint64_t hits = 0;
  for (std::uint64_t c = first; c < last; ++c) hits += chunk_hits(job.rng, job.seed, c, job.chunk_length(c));
  return hits;
}

PARBENCH_AVX512 std::uint64_t stream_hits_avx512(rng_kind rng, std::uint64_t seed, std::uint64_t chunk,
                                                 std::uint64_t length) {
  return chunk_hits(rng, seed, chunk, length);
}

}  // namespace detail
}  // namespace parbench::kernels
