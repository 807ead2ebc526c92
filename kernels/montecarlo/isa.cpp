#include "kernels/montecarlo/isa.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

namespace parbench::kernels {
namespace detail {

std::uint64_t count_hits_scalar(const pi_job& job, std::uint64_t first, std::uint64_t last) {
  std::uint64_t hits = 0;
  for (std::uint64_t c = first; c < last; ++c) hits += count_chunk_hits_scalar(job, c);
  return hits;
}

}  // namespace detail

namespace {

struct path_entry {
  isa path;
  detail::chunk_counter counter;
  detail::stream_counter stream;
  bool (*cpu_has)();
};

// Narrowest first. __builtin_cpu_supports also checks that the OS saves the
// vector state (XCR0), so a path listed here can really run.
const path_entry paths[] = {
    {isa::scalar, &detail::count_hits_scalar, &stream_hits_scalar, [] { return true; }},
    {isa::avx2, &detail::count_hits_avx2, &detail::stream_hits_avx2,
     [] { return __builtin_cpu_supports("avx2") != 0; }},
    {isa::avx512, &detail::count_hits_avx512, &detail::stream_hits_avx512,
     [] {
       return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("popcnt");
     }},
};

const path_entry* widest_supported() {
  const path_entry* best = &paths[0];
  for (const auto& p : paths)
    if (p.cpu_has()) best = &p;
  return best;
}

const path_entry* initial_path() {
  if (const char* forced = std::getenv("PARBENCH_ISA"); forced != nullptr && *forced != '\0') {
    isa want = isa::scalar;
    try {
      want = parse_isa(forced);
    } catch (const usage_error& e) {
      throw usage_error(fmt::format("PARBENCH_ISA={}: {} (or unset it)", forced, e.what()));
    }
    for (const auto& p : paths)
      if (p.path == want && p.cpu_has()) return &p;
    throw usage_error(fmt::format(
        "PARBENCH_ISA={}: this CPU or build cannot run that path; `parbench list` shows the ones it can", forced));
  }
  return widest_supported();
}

std::atomic<const path_entry*>& current() {
  static std::atomic<const path_entry*> entry{initial_path()};
  return entry;
}

}  // namespace

std::string_view to_string(isa path) noexcept {
  switch (path) {
    case isa::avx512: return "avx512";
    case isa::avx2: return "avx2";
    case isa::scalar: break;
  }
  return "scalar";
}

isa parse_isa(std::string_view text) {
  if (text == "scalar") return isa::scalar;
  if (text == "avx2") return isa::avx2;
  if (text == "avx512") return isa::avx512;
  throw usage_error(fmt::format("unknown instruction-set path '{}': choose scalar, avx2 or avx512", text));
}

std::vector<isa> supported_isas() {
  std::vector<isa> out;
  for (const auto& p : paths)
    if (p.cpu_has()) out.push_back(p.path);
  return out;
}

isa active_isa() { return current().load()->path; }

void force_isa(isa path) {
  for (const auto& p : paths) {
    if (p.path == path && p.cpu_has()) {
      current().store(&p);
      return;
    }
  }
  throw usage_error(fmt::format("instruction-set path '{}' is not supported by this CPU or build", to_string(path)));
}

namespace detail {
chunk_counter active_chunk_counter() { return current().load()->counter; }
stream_counter active_stream_counter() { return current().load()->stream; }
}  // namespace detail

}  // namespace parbench::kernels
