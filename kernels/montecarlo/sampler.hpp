#pragma once
// The Monte Carlo sampling engine shared by the pi and imbalanced kernels: stream c of a
// seed is a counter-based sequence of points keyed by (seed, c); a hit is a point inside the
// quarter circle. Every instruction-set path returns the same count for every stream.

#include <cstdint>
#include <string_view>

namespace parbench::kernels {

/// Samples per chunk: a constant of the kernel, never derived from the worker count.
inline constexpr std::uint64_t chunk_samples = std::uint64_t{1} << 16;

/// Version of the random streams; bump when any stream changes (recorded in reports).
inline constexpr int kernel_version = 1;

/// Which counter-based generator draws the points.
enum class rng_kind {
  philox,  ///< Philox4x32-10 (default; the field's standard, passes BigCrush)
  light,   ///< a cheap counter hash, see docs/kernels.md for its statistical standing
};

std::string_view to_string(rng_kind rng) noexcept;
/// "philox" or "light"; throws usage_error otherwise.
rng_kind parse_rng(std::string_view text);

struct pi_job {
  std::uint64_t samples = 0;  ///< n >= 1
  std::uint64_t seed = 0;
  rng_kind rng = rng_kind::philox;

  [[nodiscard]] constexpr std::uint64_t chunk_count() const noexcept {
    return (samples + chunk_samples - 1) / chunk_samples;
  }
  [[nodiscard]] constexpr std::uint64_t chunk_length(std::uint64_t chunk) const noexcept {
    const std::uint64_t begin = chunk * chunk_samples;
    return samples - begin < chunk_samples ? samples - begin : chunk_samples;
  }
};

/// Hits among the first `length` points of stream (seed, chunk); length < 2^32.
/// Pure, thread-safe, allocation-free; runs on the fastest instruction-set path.
std::uint64_t stream_hits(rng_kind rng, std::uint64_t seed, std::uint64_t chunk, std::uint64_t length);

/// The same on the portable scalar path (the reference every path must match).
std::uint64_t stream_hits_scalar(rng_kind rng, std::uint64_t seed, std::uint64_t chunk, std::uint64_t length);

/// Points inside the quarter circle among chunks [first_chunk, last_chunk) of `job`.
/// Pure, thread-safe, allocation-free; runs on the fastest instruction-set path.
std::uint64_t count_hits(const pi_job& job, std::uint64_t first_chunk, std::uint64_t last_chunk);

/// Hits of one chunk on the portable scalar path (the reference every path must match).
std::uint64_t count_chunk_hits_scalar(const pi_job& job, std::uint64_t chunk);

/// The self-check of a hit count: 4 hits / n within 6 standard errors of pi.
struct pi_check {
  double estimate = 0;
  double error = 0;  ///< estimate - pi
  double sigma = 0;  ///< 4 * sqrt(p(1-p)/n), p = pi/4
  bool ok = false;   ///< |error| <= 6 sigma
};
pi_check check_estimate(std::uint64_t hits, std::uint64_t samples);

inline constexpr double pi = 3.14159265358979323846;

}  // namespace parbench::kernels
