#include "core/parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench {
namespace {

constexpr std::uint64_t max_count = std::uint64_t{1} << 63;

[[noreturn]] void fail(std::string_view what, std::string_view text, std::string_view allowed) {
  throw usage_error(fmt::format("invalid value '{}' for {}: {}", text, what, allowed));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses an unsigned decimal integer; false on overflow or non-digits.
bool to_u64(std::string_view s, std::uint64_t& out) {
  if (!all_digits(s)) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

// "M.FeE" forms that denote an exact integer, evaluated in integers (no rounding).
bool scientific_to_u64(std::string_view s, std::uint64_t& out) {
  auto e = s.find_first_of("eE");
  if (e == std::string_view::npos) return false;
  std::string_view mant = s.substr(0, e);
  std::string_view exps = s.substr(e + 1);
  if (!exps.empty() && exps.front() == '+') exps.remove_prefix(1);
  std::uint64_t exp = 0;
  if (!to_u64(exps, exp) || exp > 40) return false;
  std::string_view whole = mant;
  std::string_view frac;
  if (auto dot = mant.find('.'); dot != std::string_view::npos) {
    whole = mant.substr(0, dot);
    frac = mant.substr(dot + 1);
  }
  if (whole.empty() && frac.empty()) return false;
  if ((!whole.empty() && !all_digits(whole)) || (!frac.empty() && !all_digits(frac))) return false;
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  if (frac.size() > exp) return false;  // not an integer
  std::string digits = std::string(whole) + std::string(frac);
  digits.append(exp - frac.size(), '0');
  auto first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    out = 0;
    return true;
  }
  return to_u64(std::string_view(digits).substr(first), out);
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  constexpr std::string_view allowed = "expected a positive whole number up to 2^63 such as 1000000 or 1e9";
  std::string_view s = trim(text);
  if (s.empty()) fail(what, text, allowed);
  if (s.front() == '-') fail(what, text, "must be positive; " + std::string(allowed));
  if (s.front() == '+') s.remove_prefix(1);
  std::uint64_t value = 0;
  bool ok = to_u64(s, value) || scientific_to_u64(s, value);
  if (!ok) {
    if (s.find('.') != std::string_view::npos || s.find_first_of("eE") != std::string_view::npos) {
      // Distinguish "2.5" (fractional) and "1e30" (too large) from garbage.
      char* end = nullptr;
      std::string copy(s);
      double d = std::strtod(copy.c_str(), &end);
      if (end == copy.c_str() + copy.size() && std::isfinite(d)) {
        if (d >= static_cast<double>(max_count)) fail(what, text, "too large: the maximum is 2^63");
        fail(what, text, "not a whole number; " + std::string(allowed));
      }
    }
    if (all_digits(s)) fail(what, text, "too large: the maximum is 2^63");
    fail(what, text, allowed);
  }
  if (value == 0) fail(what, text, "must be at least 1");
  if (value > max_count) fail(what, text, "too large: the maximum is 2^63");
  return value;
}

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  std::uint64_t value = 0;
  if (!to_u64(s, value)) {
    if (all_digits(s)) fail(what, text, "too large: the maximum is 2^64-1");
    fail(what, text, "expected a non-negative whole number");
  }
  return value;
}

unsigned parse_workers(std::string_view text) {
  const std::string allowed = fmt::format("expected a whole number from 1 to {}", max_workers);
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '-') fail("--workers", text, "must be positive; " + allowed);
  std::uint64_t value = 0;
  if (!to_u64(s, value)) {
    if (all_digits(s)) fail("--workers", text, fmt::format("too large: at most {} workers", max_workers));
    fail("--workers", text, allowed);
  }
  if (value == 0) fail("--workers", text, "must be at least 1");
  if (value > max_workers) fail("--workers", text, fmt::format("too large: at most {} workers", max_workers));
  return static_cast<unsigned>(value);
}

std::vector<std::uint64_t> parse_count_list(std::string_view text, std::string_view what) {
  if (trim(text).empty()) fail(what, text, "expected a comma-separated list such as 1e6,1e7");
  std::vector<std::uint64_t> out;
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) fail(what, text, "empty item in the list");
    // A range "A-B[:STEP]"; a leading '-' is a negative number, not a range.
    auto dash = item.find('-', 1);
    if (dash == std::string_view::npos || item.front() == '-') {
      out.push_back(parse_count(item, what));
      continue;
    }
    std::string_view hi_text = item.substr(dash + 1);
    std::uint64_t step = 1;
    if (auto colon = hi_text.find(':'); colon != std::string_view::npos) {
      step = parse_count(hi_text.substr(colon + 1), what);
      hi_text = hi_text.substr(0, colon);
    }
    std::uint64_t lo = parse_count(item.substr(0, dash), what);
    std::uint64_t hi = parse_count(hi_text, what);
    if (hi < lo) fail(what, text, "a range must go from low to high, e.g. 1-8");
    const std::uint64_t steps = (hi - lo) / step;
    if (steps >= 4096) fail(what, text, "a range may hold at most 4096 values");
    // Counted, not `v += step` up to hi: that wraps past 2^64 when hi and step are both 2^63.
    for (std::uint64_t i = 0; i <= steps; ++i) out.push_back(lo + i * step);
  }
  return out;
}

std::vector<unsigned> parse_worker_list(std::string_view text) {
  if (trim(text).empty()) fail("--workers", text, "expected a list such as 1,2,4 or a range such as 1-8 or 2-16:2");
  std::vector<unsigned> out;
  std::set<unsigned> seen;
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) fail("--workers", text, "empty item in the list");
    auto dash = item.find('-', 1);
    std::vector<unsigned> values;
    if (dash == std::string_view::npos || item.front() == '-') {
      values.push_back(parse_workers(item));
    } else {
      // A range "A-B[:STEP]".
      std::string_view hi_text = item.substr(dash + 1);
      unsigned step = 1;
      if (auto colon = hi_text.find(':'); colon != std::string_view::npos) {
        step = parse_workers(hi_text.substr(colon + 1));
        hi_text = hi_text.substr(0, colon);
      }
      unsigned lo = parse_workers(item.substr(0, dash));
      unsigned hi = parse_workers(hi_text);
      if (hi < lo) fail("--workers", text, "a range must go from low to high, e.g. 1-8");
      for (unsigned v = lo; v <= hi; v += step) values.push_back(v);
    }
    for (unsigned v : values) {
      if (!seen.insert(v).second) fail("--workers", text, fmt::format("{} appears twice", v));
      out.push_back(v);
    }
  }
  return out;
}

double parse_seconds(std::string_view text, std::string_view what) {
  constexpr std::string_view allowed = "expected a number of seconds from 0.001 to 1e7 such as 30 or 0.5";
  std::string copy(trim(text));
  // Plain decimal forms only: strtod alone would also take hex floats, "infinity" and leading newlines.
  if (copy.empty() || copy.find_first_not_of("0123456789.eE+-") != std::string::npos) fail(what, text, allowed);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) fail(what, text, allowed);
  // Below 1 ms a limit would round to 0 ms, which callers read as "no limit".
  if (value < 0.001) fail(what, text, value <= 0 ? "must be positive; " + std::string(allowed) : std::string(allowed));
  if (value > 1e7) fail(what, text, "too large; " + std::string(allowed));
  return value;
}

std::uint64_t parse_bytes(std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::uint64_t value = 0;
  if (!to_u64(s.substr(0, digits), value)) fail(what, text, "expected a size such as 1GiB, 512MiB or 1000000");
  std::string_view unit = trim(s.substr(digits));
  struct suffix {
    std::string_view name;
    std::uint64_t factor;
  };
  constexpr suffix units[] = {
      {"", 1},      {"B", 1},        {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
      {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000}};
  for (const auto& u : units) {
    if (unit == u.name) {
      if (value > (std::uint64_t{1} << 46) / u.factor) fail(what, text, "too large: at most 64 TiB");
      return value * u.factor;
    }
  }
  fail(what, text, "unknown unit; use B, KiB, MiB, GiB, KB, MB or GB");
}

text_position position_in(std::string_view text, std::size_t offset) noexcept {
  offset = std::min(offset, text.size());
  text_position p;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

std::vector<std::string_view> parse_name_list(std::string_view text, std::string_view noun, std::string_view flag) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = text.find(',', start);
    const std::string_view item = text.substr(start, pos - start);
    if (item.empty()) throw usage_error(fmt::format("empty item in {} list '{}'", flag, text));
    if (std::find(out.begin(), out.end(), item) != out.end())
      throw usage_error(fmt::format("{} '{}' is listed twice in '{}'", noun, item, text));
    out.push_back(item);
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace parbench
