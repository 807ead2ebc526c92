// libFuzzer target for the suite-file reader of `parbench run --suite` (bench/suite.hpp).
// parse_suite may only return a suite whose values lie in their documented ranges or
// throw parbench::error; another exception (a stray nlohmann::json error, say), a crash,
// a sanitizer report or a hang is a finding. The parsed suite must also serialise
// (to_json, as metadata.json does) without throwing.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench/suite.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/kernel.hpp"
#include "kernels/registry.hpp"

namespace {

void require(bool ok, const char* property) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_suite: property violated: %s\n", property);
    std::abort();
  }
}

void check(const parbench::bench::suite& s) {
  for (unsigned w : s.workers) require(w >= 1 && w <= parbench::max_workers, "workers are 1..max_workers");
  for (std::uint64_t n : s.samples) require(n >= 1, "sample counts are positive");
  for (std::uint64_t n : s.break_even_sizes) require(n >= 1, "break-even sizes are positive");
  require(s.repetitions >= 1 && s.repetitions <= 1000, "repetitions are 1..1000");
  require(s.overhead_repetitions >= 1 && s.overhead_repetitions <= 1000, "overhead repetitions are 1..1000");
  require(s.scaling == "strong" || s.scaling == "weak", "scaling is strong or weak");
  require(s.rng == "philox" || s.rng == "light", "rng is philox or light");
  require(!s.backends.empty(), "the backend list is not empty");
  require(!s.kernels.empty(), "the kernel list is not empty");
  require(!s.schedules.empty(), "the schedule list is not empty");
  for (const auto& k : s.kernels) {
    // Every entry names a registered kernel with valid parameters (find_kernel / complete_spec
    // would throw usage_error otherwise, which is a violation here).
    try {
      (void)parbench::complete_spec(parbench::find_kernel(k.name), 1, 1, k.params);
    } catch (const parbench::error&) {
      require(false, "kernel entries name registered kernels with valid parameters");
    }
    for (unsigned w : k.workers) require(w >= 1 && w <= parbench::max_workers, "kernel workers are 1..max_workers");
    for (std::uint64_t n : k.samples) require(n >= 1, "kernel sample counts are positive");
    for (const auto& name : k.schedules) require(!name.empty(), "schedule names are not empty");
  }
  const std::string json = parbench::bench::to_json(s).dump();
  // What metadata.json records reads back as a suite file.
  try {
    (void)parbench::bench::parse_suite(json, "round-trip.json");
  } catch (const parbench::error& e) {
    std::fprintf(stderr, "fuzz_suite: %s\n", e.what());
    require(false, "to_json(suite) parses back as a suite file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const parbench::bench::suite base = parbench::bench::default_suite();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    check(parbench::bench::parse_suite(text, "fuzz.json", base));
  } catch (const parbench::error& e) {
    require(e.code() == parbench::exit_code::usage, "parse_suite throws usage_error only");
    require(std::string_view(e.what()).rfind("fuzz.json", 0) == 0, "suite errors start with the file name");
  }
  return 0;
}
