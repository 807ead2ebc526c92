#pragma once
// Run-time choice of the instruction-set path: one portable binary picks the
// widest path the CPU supports; PARBENCH_ISA (or force_isa) overrides it.
// Every path returns identical hit counts (tests/kernels_test.cpp).

#include <cstdint>
#include <string_view>
#include <vector>

#include "kernels/montecarlo/sampler.hpp"

namespace parbench::kernels {

enum class isa { scalar, avx2, avx512 };

std::string_view to_string(isa path) noexcept;

/// Paths this CPU can run (and this build contains), narrowest first.
std::vector<isa> supported_isas();

/// The path count_hits uses now.
isa active_isa();

/// Use `path` from now on; throws usage_error if the CPU or build lacks it.
void force_isa(isa path);

/// Parse "scalar", "avx2", "avx512"; throws usage_error otherwise.
isa parse_isa(std::string_view text);

namespace detail {
using chunk_counter = std::uint64_t (*)(const pi_job&, std::uint64_t, std::uint64_t);
chunk_counter active_chunk_counter();
using stream_counter = std::uint64_t (*)(rng_kind, std::uint64_t, std::uint64_t, std::uint64_t);
stream_counter active_stream_counter();
std::uint64_t stream_hits_avx2(rng_kind, std::uint64_t, std::uint64_t, std::uint64_t);
std::uint64_t stream_hits_avx512(rng_kind, std::uint64_t, std::uint64_t, std::uint64_t);
std::uint64_t count_hits_scalar(const pi_job&, std::uint64_t, std::uint64_t);
/// Call only where the CPU has the extension (the `paths` table in isa.cpp checks).
std::uint64_t count_hits_avx2(const pi_job&, std::uint64_t, std::uint64_t);
std::uint64_t count_hits_avx512(const pi_job&, std::uint64_t, std::uint64_t);
}  // namespace detail

}  // namespace parbench::kernels
