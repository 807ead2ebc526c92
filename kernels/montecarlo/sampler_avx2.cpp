// The AVX2 path of the pi kernel: 4 Philox counters (or light samples) per
// vector, U vectors in flight to hide the multiply latency of the round chain.
// Each 64-bit lane holds one 32-bit word in its low half; _mm256_mul_epu32 reads
// only the low halves, so the garbage the high halves collect never matters.
//
// The target is set per function (not per file) so that the inline functions of
// philox.hpp / light.hpp are never emitted as AVX2 copies the linker could pick
// for the baseline path.

#include <immintrin.h>

#include <cstdint>

#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/light.hpp"
#include "kernels/montecarlo/philox.hpp"
#include "kernels/montecarlo/sampler.hpp"

// With GCC, also its first scheduling pass (off by default on x86), pressure-aware: these
// loops run short of registers, and it measured 5-10% faster on Zen 4.
#if defined(__clang__)
#define PARBENCH_AVX2 __attribute__((target("avx2")))
#else
#define PARBENCH_AVX2 __attribute__((target("avx2"), optimize("schedule-insns", "sched-pressure")))
#endif

namespace parbench::kernels {
namespace {

constexpr int philox_unroll = 6;  // 6 x 4 blocks in flight: measured best on Zen 4 (3, 4, 8 are slower)
constexpr int light_unroll = 16;

// AVX2 has no unsigned 64-bit compare. With a = x2 ^ 2^63 and b = a + y2, the
// signed test a > b holds exactly when x2 + y2 wraps, i.e. the point is outside.
// `outside` counts down by one (the compare yields -1) per outside point.
PARBENCH_AVX2 inline __m256i count_outside(__m256i outside, __m256i x, __m256i y) {
  const __m256i a = _mm256_xor_si256(_mm256_mul_epu32(x, x), _mm256_set1_epi64x(INT64_MIN));
  const __m256i b = _mm256_add_epi64(a, _mm256_mul_epu32(y, y));
  return _mm256_add_epi64(outside, _mm256_cmpgt_epi64(a, b));
}

PARBENCH_AVX2 inline __m256i hi32(__m256i p) { return _mm256_srli_epi64(p, 32); }

PARBENCH_AVX2 inline std::uint64_t lane_sum(__m256i v) {
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

// Hits among Philox blocks [first, last) (both samples of each) of `chunk`;
// last - first is a multiple of 4 * U. Same round structure as pi_avx512.cpp.
template <int U>
PARBENCH_AVX2 std::uint64_t philox_blocks(std::uint64_t seed, std::uint64_t chunk, std::uint32_t last,
                                          std::uint32_t first = 0) {
  std::uint32_t k0[philox_rounds], k1[philox_rounds];
  k0[0] = static_cast<std::uint32_t>(seed);
  k1[0] = static_cast<std::uint32_t>(seed >> 32);
  for (int r = 1; r < philox_rounds; ++r) {
    k0[r] = k0[r - 1] + philox_w0;
    k1[r] = k1[r - 1] + philox_w1;
  }
  const philox_block ctr = pi_counter(chunk, 0);
  const std::uint64_t q1 = std::uint64_t{philox_m1} * ctr.v[2];
  const auto r0_c0 = static_cast<std::uint32_t>(q1 >> 32) ^ ctr.v[1] ^ k0[0];
  const auto r0_c1 = static_cast<std::uint32_t>(q1);
  const std::uint64_t q0 = std::uint64_t{philox_m0} * r0_c0;
  const auto r1_hi0 = static_cast<std::uint32_t>(q0 >> 32);
  const auto r1_c3 = static_cast<std::uint32_t>(q0);

  const __m256i m0 = _mm256_set1_epi64x(philox_m0), m1 = _mm256_set1_epi64x(philox_m1);
  const __m256i r0_x2 = _mm256_set1_epi64x(ctr.v[3] ^ k1[0]);
  const __m256i r1_x0 = _mm256_set1_epi64x(r0_c1 ^ k0[1]);
  const __m256i r1_x2 = _mm256_set1_epi64x(r1_hi0 ^ k1[1]);
  const __m256i r2_x2 = _mm256_set1_epi64x(r1_c3 ^ k1[2]);
  __m256i p0_base[U];
  const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0);
  for (int u = 0; u < U; ++u)
    p0_base[u] = _mm256_mul_epu32(_mm256_add_epi64(lane, _mm256_set1_epi64x(first + 4 * u)), m0);
  constexpr std::uint64_t p0_increment = std::uint64_t{philox_m0} * 4 * U;
  const __m256i p0_step = _mm256_set1_epi64x(static_cast<long long>(p0_increment));

  __m256i outside = _mm256_setzero_si256();
  for (std::uint32_t b = first; b < last; b += 4 * U) {
    __m256i c0[U], c1[U], c2[U], c3[U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      const __m256i p0 = p0_base[u];
      p0_base[u] = _mm256_add_epi64(p0, p0_step);
      c2[u] = _mm256_xor_si256(hi32(p0), r0_x2);
      c3[u] = p0;
      const __m256i p1 = _mm256_mul_epu32(c2[u], m1);
      c0[u] = _mm256_xor_si256(hi32(p1), r1_x0);
      c1[u] = p1;
      c2[u] = _mm256_xor_si256(c3[u], r1_x2);
      const __m256i q0v = _mm256_mul_epu32(c0[u], m0), q1v = _mm256_mul_epu32(c2[u], m1);
      c0[u] = _mm256_xor_si256(_mm256_xor_si256(hi32(q1v), c1[u]), _mm256_set1_epi64x(k0[2]));
      c1[u] = q1v;
      c2[u] = _mm256_xor_si256(hi32(q0v), r2_x2);
      c3[u] = q0v;
    }
#pragma GCC unroll 8
    for (int r = 3; r < philox_rounds; ++r) {
      const __m256i kv0 = _mm256_set1_epi64x(k0[r]), kv1 = _mm256_set1_epi64x(k1[r]);
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) {
        const __m256i p0 = _mm256_mul_epu32(c0[u], m0), p1 = _mm256_mul_epu32(c2[u], m1);
        // (c1 ^ k) first: it does not wait for this round's products.
        c0[u] = _mm256_xor_si256(hi32(p1), _mm256_xor_si256(c1[u], kv0));
        c1[u] = p1;
        c2[u] = _mm256_xor_si256(hi32(p0), _mm256_xor_si256(c3[u], kv1));
        c3[u] = p0;
      }
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      outside = count_outside(outside, c0[u], c1[u]);
      outside = count_outside(outside, c2[u], c3[u]);
    }
  }
  // `outside` holds minus the number of outside points.
  return 2 * std::uint64_t{last - first} + lane_sum(outside);
}

// z * c mod 2^64 (AVX2 has no 64-bit multiply): lo(z) * lo(c) from one 32x32->64 product, plus
// the two cross products, of which only the low 32 bits matter, from one vpmulld (z times c
// with its halves swapped) summed into the high half. Two multiplies instead of three.
PARBENCH_AVX2 inline __m256i mul64(__m256i z, std::uint64_t c) {
  const __m256i c_lo = _mm256_set1_epi64x(static_cast<long long>(c & 0xffffffffu));
  const __m256i c_swapped = _mm256_set1_epi64x(static_cast<long long>((c << 32) | (c >> 32)));
  const __m256i cross = _mm256_mullo_epi32(z, c_swapped);  // lo(z) * hi(c) | hi(z) * lo(c), per 32-bit half
  const __m256i low_and_first = _mm256_add_epi64(_mm256_mul_epu32(z, c_lo), _mm256_slli_epi64(cross, 32));
  return _mm256_add_epi64(low_and_first, _mm256_blend_epi32(_mm256_setzero_si256(), cross, 0xAA));
}

// SplitMix64's finaliser, lane-wise (light_bits of light.hpp).
PARBENCH_AVX2 inline __m256i splitmix_mix(__m256i z) {
  z = mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), 0xBF58476D1CE4E5B9ull);
  z = mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), 0x94D049BB133111EBull);
  return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

// Hits among samples [first, last) of a light chunk with key `key`; last - first is a
// multiple of 4 * U. The chain per vector is long (four multiplies deep), so many vectors must
// be in flight: measured on Zen 5, U = 16 runs about 30% faster than U = 4, spills included
// (the result is the same for any U).
template <int U>
PARBENCH_AVX2 std::uint64_t light_samples(std::uint64_t key, std::uint32_t last, std::uint32_t first = 0) {
  constexpr std::uint64_t gamma = 0x9E3779B97F4A7C15ull;
  // Each lane's Weyl state wraps modulo 2^64 on purpose.
  const auto state = [key](std::uint64_t index) { return static_cast<long long>(std::uint64_t{key + index * gamma}); };
  __m256i z[U];
  for (int u = 0; u < U; ++u) {
    const std::uint64_t i = std::uint64_t{first} + 4 * static_cast<std::uint64_t>(u) + 1;  // light_bits uses i + 1
    z[u] = _mm256_set_epi64x(state(i + 3), state(i + 2), state(i + 1), state(i));
  }
  constexpr std::uint64_t step_increment = gamma * 4 * U;
  const __m256i step = _mm256_set1_epi64x(static_cast<long long>(step_increment));
  __m256i outside = _mm256_setzero_si256();
  for (std::uint32_t i = first; i < last; i += 4 * U) {
#pragma GCC unroll 32
    for (int u = 0; u < U; ++u) {
      const __m256i bits = splitmix_mix(z[u]);
      z[u] = _mm256_add_epi64(z[u], step);
      // X = the high half moved low by a shuffle, which runs on more ports than a shift.
      outside = count_outside(outside, _mm256_shuffle_epi32(bits, 0xB1), bits);
    }
  }
  return std::uint64_t{last - first} + lane_sum(outside);
}

PARBENCH_AVX2 std::uint64_t chunk_hits(rng_kind rng, std::uint64_t seed, std::uint64_t chunk, std::uint64_t length) {
  std::uint64_t hits = 0;
  if (rng == rng_kind::philox) {
    const auto full_blocks = static_cast<std::uint32_t>(length / 2);
    // Most blocks with U vectors in flight, the rest a vector at a time, the last odd sample scalar.
    const std::uint32_t wide_blocks = full_blocks - full_blocks % (4 * philox_unroll);
    const std::uint32_t vector_blocks = full_blocks - full_blocks % 4;
    hits = philox_blocks<philox_unroll>(seed, chunk, wide_blocks);
    if (vector_blocks > wide_blocks) hits += philox_blocks<1>(seed, chunk, vector_blocks, wide_blocks);
    hits += philox_hits(seed, chunk, 2 * std::uint64_t{vector_blocks}, length);
  } else {
    // Most samples with U vectors in flight, the rest a vector at a time, the last few scalar.
    const std::uint64_t key = light_chunk_key(seed, chunk);
    const auto wide_samples = static_cast<std::uint32_t>(length - length % (4 * light_unroll));
    const auto vector_samples = static_cast<std::uint32_t>(length - length % 4);
    hits = light_samples<light_unroll>(key, wide_samples);
    if (vector_samples > wide_samples) hits += light_samples<1>(key, vector_samples, wide_samples);
    hits += light_hits(key, vector_samples, length);
  }
  return hits;
}

}  // namespace

namespace detail {

PARBENCH_AVX2 std::uint64_t count_hits_avx2(const pi_job& job, std::uint64_t first, std::uint64_t last) {
  std::uint64_t hits = 0;
  for (std::uint64_t c = first; c < last; ++c) hits += chunk_hits(job.rng, job.seed, c, job.chunk_length(c));
  return hits;
}

PARBENCH_AVX2 std::uint64_t stream_hits_avx2(rng_kind rng, std::uint64_t seed, std::uint64_t chunk,
                                             std::uint64_t length) {
  return chunk_hits(rng, seed, chunk, length);
}

}  // namespace detail
}  // namespace parbench::kernels
