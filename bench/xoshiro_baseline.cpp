#include "bench/xoshiro_baseline.hpp"

// GCC 12 warns inside its own AVX-512 headers (the self-initialised `__Y` of
// _mm512_undefined_epi32, GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

namespace parbench::bench {
namespace {

constexpr std::uint32_t chunk_points = 1u << 16;

std::uint64_t splitmix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Four 32-bit state words per lane, for `lanes` lanes, from (seed, chunk, lane).
template <int lanes>
void seed_lanes(std::uint64_t seed, std::uint64_t chunk, std::uint32_t (&s)[4][lanes]) {
  for (int l = 0; l < lanes; ++l) {
    const std::uint64_t a = splitmix(seed ^ (chunk * 0xD1B54A32D192ED03ull) ^ static_cast<std::uint64_t>(l));
    const std::uint64_t b = splitmix(a);
    s[0][l] = static_cast<std::uint32_t>(a) | 1u;  // never all zero
    s[1][l] = static_cast<std::uint32_t>(a >> 32);
    s[2][l] = static_cast<std::uint32_t>(b);
    s[3][l] = static_cast<std::uint32_t>(b >> 32);
  }
}

}  // namespace

// Four generator vectors in flight, 8 lanes each: each lane's state update is a serial chain,
// and on Zen 5 (2-cycle vector integer latency) 4 beat 1, 2, 3, 6 and 8.
__attribute__((target("avx2"))) std::uint64_t xoshiro_hits_avx2(std::uint64_t seed, std::uint64_t chunks) {
  constexpr int in_flight = 4;
  std::uint64_t outside = 0;
  const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
  for (std::uint64_t c = 0; c < chunks; ++c) {
    __m256i s0[in_flight], s1[in_flight], s2[in_flight], s3[in_flight];
    for (int u = 0; u < in_flight; ++u) {
      std::uint32_t w[4][8];
      seed_lanes<8>(seed, c * in_flight + u, w);
      s0[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[0]));
      s1[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[1]));
      s2[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[2]));
      s3[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[3]));
    }
    __m256i count = _mm256_setzero_si256();
    for (std::uint32_t i = 0; i < chunk_points; i += 8 * in_flight) {
#pragma GCC unroll 4
      for (int u = 0; u < in_flight; ++u) {
        __m256i xy[2];
        for (int k = 0; k < 2; ++k) {
          xy[k] = _mm256_add_epi32(s0[u], s3[u]);
          const __m256i t = _mm256_slli_epi32(s1[u], 9);
          s2[u] = _mm256_xor_si256(s2[u], s0[u]);
          s3[u] = _mm256_xor_si256(s3[u], s1[u]);
          s1[u] = _mm256_xor_si256(s1[u], s2[u]);
          s0[u] = _mm256_xor_si256(s0[u], s3[u]);
          s2[u] = _mm256_xor_si256(s2[u], t);
          s3[u] = _mm256_or_si256(_mm256_slli_epi32(s3[u], 11), _mm256_srli_epi32(s3[u], 21));
        }
        // Even 32-bit lanes, then odd ones: X*X + Y*Y wraps 2^64 exactly when outside.
        for (int half = 0; half < 2; ++half) {
          const __m256i x = half == 0 ? xy[0] : _mm256_srli_epi64(xy[0], 32);
          const __m256i y = half == 0 ? xy[1] : _mm256_srli_epi64(xy[1], 32);
          const __m256i a = _mm256_xor_si256(_mm256_mul_epu32(x, x), sign);
          const __m256i b = _mm256_add_epi64(a, _mm256_mul_epu32(y, y));
          count = _mm256_sub_epi64(count, _mm256_cmpgt_epi64(a, b));
        }
      }
    }
    alignas(32) std::uint64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), count);
    outside += lanes[0] + lanes[1] + lanes[2] + lanes[3];
  }
  return chunks * chunk_points - outside;
}

// Four generator vectors in flight, 16 lanes each (best of 1, 2, 3, 4, 6, 8 on Zen 5). The state
// update takes 7 instructions with two three-way xors, the rotate is native, and the inside
// mask is counted with popcnt (off the vector pipes), as the light path counts.
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,popcnt"))) std::uint64_t xoshiro_hits_avx512(
    std::uint64_t seed, std::uint64_t chunks) {
  constexpr int in_flight = 4;
  constexpr int xor3 = 0x96;  // vpternlog truth table of a ^ b ^ c
  std::uint64_t inside = 0;
  for (std::uint64_t c = 0; c < chunks; ++c) {
    __m512i s0[in_flight], s1[in_flight], s2[in_flight], s3[in_flight];
    for (int u = 0; u < in_flight; ++u) {
      std::uint32_t w[4][16];
      seed_lanes<16>(seed, c * in_flight + u, w);
      s0[u] = _mm512_loadu_si512(w[0]);
      s1[u] = _mm512_loadu_si512(w[1]);
      s2[u] = _mm512_loadu_si512(w[2]);
      s3[u] = _mm512_loadu_si512(w[3]);
    }
    for (std::uint32_t i = 0; i < chunk_points; i += 16 * in_flight) {
#pragma GCC unroll 4
      for (int u = 0; u < in_flight; ++u) {
        __m512i xy[2];
        for (int k = 0; k < 2; ++k) {
          xy[k] = _mm512_add_epi32(s0[u], s3[u]);
          const __m512i t = _mm512_slli_epi32(s1[u], 9);
          // s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
          const __m512i s1_next = _mm512_ternarylogic_epi32(s1[u], s2[u], s0[u], xor3);
          const __m512i s2_next = _mm512_ternarylogic_epi32(s2[u], s0[u], t, xor3);
          const __m512i s3_xored = _mm512_xor_si512(s3[u], s1[u]);
          s0[u] = _mm512_xor_si512(s0[u], s3_xored);
          s1[u] = s1_next;
          s2[u] = s2_next;
          s3[u] = _mm512_rol_epi32(s3_xored, 11);
        }
        // Even 32-bit lanes, then odd ones: X*X + Y*Y < 2^64 exactly when the sum does not wrap.
        for (int half = 0; half < 2; ++half) {
          const __m512i x = half == 0 ? xy[0] : _mm512_srli_epi64(xy[0], 32);
          const __m512i y = half == 0 ? xy[1] : _mm512_srli_epi64(xy[1], 32);
          const __m512i xx = _mm512_mul_epu32(x, x);
          const __m512i sum = _mm512_add_epi64(xx, _mm512_mul_epu32(y, y));
          inside += static_cast<std::uint64_t>(__builtin_popcount(_cvtmask8_u32(_mm512_cmpge_epu64_mask(sum, xx))));
        }
      }
    }
  }
  return inside;
}

}  // namespace parbench::bench
