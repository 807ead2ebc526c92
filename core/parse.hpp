#pragma once
// Parsers for user-typed numbers and lists. They never exit: bad input throws
// usage_error with a message that quotes the input and says what is allowed.
// (Fuzzed by fuzz/parse_fuzz.cpp.)

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parbench {

/// A sample count: a positive integer ("1000000") or an exact scientific form
/// ("1e9", "2.5e6"), at most 2^63. `what` names the option in error messages.
std::uint64_t parse_count(std::string_view text, std::string_view what = "--samples");

/// A worker count in 1..max_workers.
unsigned parse_workers(std::string_view text);

/// A non-negative 64-bit integer (seeds).
std::uint64_t parse_u64(std::string_view text, std::string_view what);

/// Comma-separated counts; items may be ranges "A-B" or "A-B:STEP" (inclusive).
std::vector<std::uint64_t> parse_count_list(std::string_view text, std::string_view what = "--samples");

/// Comma-separated worker counts with ranges, each in 1..max_workers, no duplicates.
std::vector<unsigned> parse_worker_list(std::string_view text);

/// Comma-separated names (backends, kernels, schedules) in order: `text` must not be empty,
/// and an empty item or a repeat is a usage_error naming `noun` and the `flag` it came from.
std::vector<std::string_view> parse_name_list(std::string_view text, std::string_view noun, std::string_view flag);

/// A number of seconds from 0.001 to 1e7 ("2", "0.5", "1e-3"); plain decimal forms only.
double parse_seconds(std::string_view text, std::string_view what);

/// A byte size with optional unit: "1GiB", "512MiB", "64KiB", "100MB", "1000".
std::uint64_t parse_bytes(std::string_view text, std::string_view what);

/// Where byte `offset` of `text` is, 1-based, for "file:line:column" messages; an offset past
/// the end is the end.
struct text_position {
  std::size_t line = 1;
  std::size_t column = 1;
};
text_position position_in(std::string_view text, std::size_t offset) noexcept;

}  // namespace parbench
