// libFuzzer target for the CLI's number and list parsers (core/parse.hpp).
// The first input byte picks the parser, the rest is the text. A parser may only
// return a value inside its documented range or throw parbench::error; anything
// else (another exception, a crash, a sanitizer report, a hang) is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"

namespace {

constexpr std::uint64_t max_count = std::uint64_t{1} << 63;

// Abort (a libFuzzer finding) with the broken property.
void require(bool ok, const char* property) {
  if (!ok) {
    __builtin_printf("fuzz_parse: property violated: %s\n", property);
    std::abort();
  }
}

void check_count(std::uint64_t v) {
  require(v >= 1 && v <= max_count, "parse_count returns 1..2^63");
  // Round trip: the canonical decimal form parses to the same value.
  require(parbench::parse_count(std::to_string(v)) == v, "parse_count(to_string(v)) == v");
}

void check_workers(unsigned w) { require(w >= 1 && w <= parbench::max_workers, "worker counts are 1..max_workers"); }

void run_one(unsigned which, std::string_view text) {
  switch (which) {
    case 0: check_count(parbench::parse_count(text)); break;
    case 1: check_workers(parbench::parse_workers(text)); break;
    case 2: {
      const std::uint64_t v = parbench::parse_u64(text, "--seed");
      require(parbench::parse_u64(std::to_string(v), "--seed") == v, "parse_u64 round trip");
      break;
    }
    case 3:
      for (std::uint64_t v : parbench::parse_count_list(text)) require(v >= 1 && v <= max_count, "list items 1..2^63");
      break;
    case 4: {
      const auto list = parbench::parse_worker_list(text);
      require(!list.empty(), "a worker list is never empty");
      std::set<unsigned> seen;
      for (unsigned w : list) {
        check_workers(w);
        require(seen.insert(w).second, "a worker list has no duplicates");
      }
      break;
    }
    case 5: {
      const double s = parbench::parse_seconds(text, "--timeout");
      require(s >= 0.001 && s <= 1e7, "parse_seconds returns 0.001..1e7");
      break;
    }
    default: {
      const std::uint64_t b = parbench::parse_bytes(text, "--parent-memory");
      require(b <= (std::uint64_t{1} << 46), "parse_bytes returns at most 64 TiB");
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned which = data[0] % 7;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    run_one(which, text);
  } catch (const parbench::error& e) {
    require(e.code() == parbench::exit_code::usage, "parsers throw usage_error only");
    require(std::string_view(e.what()).find("invalid value") != std::string_view::npos,
            "error messages quote the bad value");
  }
  return 0;
}
