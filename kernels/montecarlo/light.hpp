#pragma once
// The light generator: a counter hash keyed by (seed, chunk). Far cheaper than
// Philox per sample, still counter-based (any split gives the same counts).
// Within a chunk the samples are SplitMix64's output sequence from state `key`;
// its statistical standing (and what is not covered) is in docs/kernels.md.
// This file is the reference: the vector paths (pi_avx2.cpp, pi_avx512.cpp) and
// the CUDA kernel compute the same functions.

#include <cstdint>

#include "kernels/montecarlo/philox.hpp"

namespace parbench::kernels {

/// 64-bit key of chunk `chunk` under `seed` (one Philox-free mix per chunk).
PARBENCH_HD std::uint64_t light_chunk_key(std::uint64_t seed, std::uint64_t chunk) {
  std::uint64_t z = seed ^ (chunk * 0x9E3779B97F4A7C15ull) ^ 0x6C696768742D7069ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The 64 random bits of sample `i` of a chunk with key `key`: X = high 32, Y = low 32.
/// SplitMix64's finaliser over a Weyl sequence (Steele, Lea & Flood, OOPSLA'14).
PARBENCH_HD std::uint64_t light_bits(std::uint64_t key, std::uint32_t i) {
  std::uint64_t z = key + (static_cast<std::uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Hits among samples [first, last) of a chunk with key `key`. The scalar reference, and what
/// the vector paths leave over.
PARBENCH_HD std::uint64_t light_hits(std::uint64_t key, std::uint64_t first, std::uint64_t last) {
  std::uint64_t hits = 0;
  for (std::uint64_t i = first; i < last; ++i) {
    const std::uint64_t bits = light_bits(key, static_cast<std::uint32_t>(i));
    hits += inside(static_cast<std::uint32_t>(bits >> 32), static_cast<std::uint32_t>(bits));
  }
  return hits;
}

}  // namespace parbench::kernels
