#include "kernels/montecarlo/sampler.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/errors.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/light.hpp"
#include "kernels/montecarlo/philox.hpp"

namespace parbench::kernels {

std::string_view to_string(rng_kind rng) noexcept { return rng == rng_kind::philox ? "philox" : "light"; }

rng_kind parse_rng(std::string_view text) {
  if (text == "philox") return rng_kind::philox;
  if (text == "light") return rng_kind::light;
  throw usage_error(fmt::format("invalid value '{}' for --rng: choose philox (default) or light", text));
}

std::uint64_t stream_hits_scalar(rng_kind rng, std::uint64_t seed, std::uint64_t chunk, std::uint64_t length) {
  if (rng == rng_kind::philox) return philox_hits(seed, chunk, 0, length);
  return light_hits(light_chunk_key(seed, chunk), 0, length);
}

// The same body as stream_hits_scalar, not a call to it: GCC then compiles the light loop as it
// did before the plug-in interface (measured 18% faster on Zen 5 than through the call).
std::uint64_t count_chunk_hits_scalar(const pi_job& job, std::uint64_t chunk) {
  const std::uint64_t length = job.chunk_length(chunk);
  if (job.rng == rng_kind::philox) return philox_hits(job.seed, chunk, 0, length);
  return light_hits(light_chunk_key(job.seed, chunk), 0, length);
}

std::uint64_t stream_hits(rng_kind rng, std::uint64_t seed, std::uint64_t chunk, std::uint64_t length) {
  return detail::active_stream_counter()(rng, seed, chunk, length);
}

std::uint64_t count_hits(const pi_job& job, std::uint64_t first_chunk, std::uint64_t last_chunk) {
  return detail::active_chunk_counter()(job, first_chunk, last_chunk);
}

pi_check check_estimate(std::uint64_t hits, std::uint64_t samples) {
  pi_check c;
  const double n = static_cast<double>(samples);
  const double p = pi / 4;
  c.estimate = 4.0 * static_cast<double>(hits) / n;
  c.error = c.estimate - pi;
  c.sigma = 4.0 * std::sqrt(p * (1 - p) / n);
  c.ok = std::abs(c.error) <= 6 * c.sigma;
  return c;
}

}  // namespace parbench::kernels
