// STREAM triad, a[i] = b[i] + q c[i], over three arrays of n doubles in one shared mapping
// (core/shared_region.hpp), `passes` times per run: memory-bound, exact and split-independent.
// The values are small integers (b[i] = i mod 1024, c[i] = floor(i / 1024) mod 1024, q = 3),
// so every product and sum is exact in double whether or not the compiler contracts it into
// a fused multiply-add: the arrays cannot depend on who computed which element.
//
// Each pass is a step (core/kernel.hpp): no worker starts pass p + 1 before every worker has
// finished pass p, as in STREAM's separate parallel loops, so each pass streams through
// memory rather than through a cache-resident chunk. Three phases over the same memory:
// set-up (first touch and initialisation, run by the backend's own workers, untimed), the
// timed passes, and the verification of every element of all three arrays (untimed).
// Work counted as STREAM does: 3 arrays x 8 bytes per element per pass.

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "core/errors.hpp"
#include "core/kernel.hpp"
#include "core/shared_region.hpp"

namespace parbench::kernels {
namespace {

/// Elements per chunk: 512 KiB of each array.
constexpr std::uint64_t chunk_elements = std::uint64_t{1} << 16;
constexpr double q = 3.0;
constexpr std::uint64_t bytes_per_element = 3 * sizeof(double);

constexpr double b_of(std::uint64_t i) noexcept { return static_cast<double>(i & 1023U); }
constexpr double c_of(std::uint64_t i) noexcept { return static_cast<double>((i >> 10) & 1023U); }

// The arrays, each starting on its own 4 KiB page.
struct arrays {
  std::shared_ptr<shared_region> region;
  double* a = nullptr;
  double* b = nullptr;
  double* c = nullptr;
};

std::uint64_t padded(std::uint64_t n) noexcept { return (n + 511) / 512 * 512; }

arrays map_arrays(std::uint64_t n) {
  arrays out;
  out.region = std::make_shared<shared_region>(static_cast<std::size_t>(3 * padded(n) * sizeof(double)),
                                               fmt::format("kernel triad with {} elements per array", n));
  auto* base = reinterpret_cast<double*>(out.region->data());
  out.a = base;
  out.b = base + padded(n);
  out.c = base + 2 * padded(n);
  return out;
}

class triad_job final : public kernel_job {
 public:
  triad_job(const job_spec& spec, arrays memory)
      : kernel_job(spec),
        n_(spec.size),
        passes_(static_cast<std::uint32_t>(param_uint(spec, "passes"))),
        memory_(std::move(memory)) {}

  std::uint64_t chunk_count() const noexcept override { return (n_ + chunk_elements - 1) / chunk_elements; }
  const std::vector<result_word>& layout() const noexcept override {
    static const std::vector<result_word> run = {{"elements", combine_op::sum}};
    static const std::vector<result_word> verify = {{"mismatches", combine_op::sum}, {"elements", combine_op::sum}};
    return spec().phase == job_phase::verify ? verify : run;
  }
  void accumulate(chunk_range range, std::span<std::uint64_t> acc) const override {
    const std::uint64_t lo = range.first * chunk_elements;
    const std::uint64_t hi = std::min(n_, range.last * chunk_elements);
    if (lo >= hi) return;
    double* __restrict a = memory_.a;
    const double* __restrict b = memory_.b;
    const double* __restrict c = memory_.c;
    switch (spec().phase) {
      case job_phase::run:
        for (std::uint64_t i = lo; i < hi; ++i) a[i] = b[i] + q * c[i];
        acc[0] += hi - lo;
        return;
      case job_phase::setup: {
        double* __restrict bw = memory_.b;
        double* __restrict cw = memory_.c;
        for (std::uint64_t i = lo; i < hi; ++i) {
          a[i] = 0.0;
          bw[i] = b_of(i);
          cw[i] = c_of(i);
        }
        acc[0] += hi - lo;
        return;
      }
      case job_phase::verify: {
        std::uint64_t bad = 0;
        for (std::uint64_t i = lo; i < hi; ++i)
          bad += static_cast<std::uint64_t>(a[i] != b_of(i) + q * c_of(i)) +
                 static_cast<std::uint64_t>(b[i] != b_of(i)) + static_cast<std::uint64_t>(c[i] != c_of(i));
        acc[0] += bad;
        acc[1] += hi - lo;
        return;
      }
    }
  }
  std::uint64_t chunk_items(std::uint64_t chunk) const noexcept override {
    const std::uint64_t lo = chunk * chunk_elements;
    return std::min(n_, lo + chunk_elements) - lo;
  }
  work_counts work() const noexcept override {
    const std::uint64_t passes = spec().phase == job_phase::run ? passes_ : 1;
    return {n_ * passes, bytes_per_element * n_ * passes, 2 * n_ * passes};
  }
  check_outcome check(std::span<const std::uint64_t> result) const override {
    if (spec().phase == job_phase::verify) {
      if (result[1] != n_) return {false, fmt::format("verified {} elements of {}", result[1], n_), std::nullopt};
      return {result[0] == 0,
              fmt::format("{} of {} elements wrong in a, b or c after {} passes", result[0], 3 * n_, passes_),
              std::nullopt};
    }
    return {result[0] == n_, fmt::format("{} of {} elements computed in the last pass", result[0], n_), std::nullopt};
  }
  std::uint32_t step_count() const noexcept override { return spec().phase == job_phase::run ? passes_ : 1; }
  int memory_fd() const noexcept override { return memory_.region->fd(); }
  std::shared_ptr<const kernel_job> phase_job(job_phase phase) const override {
    job_spec s = spec();
    s.phase = phase;
    return std::make_shared<triad_job>(s, memory_);
  }
  void reset_memory() const noexcept override { memory_.region->release_pages(); }
  void map_for_worker(chunk_range range) const noexcept override {
    const std::uint64_t lo = std::min(n_, range.first * chunk_elements);
    const std::uint64_t hi = std::min(n_, range.last * chunk_elements);
    // The timed passes write a and only read b and c (set-up and verification run once).
    memory_.region->populate(memory_.a + lo, memory_.a + hi, true);
    memory_.region->populate(memory_.b + lo, memory_.b + hi, spec().phase == job_phase::setup);
    memory_.region->populate(memory_.c + lo, memory_.c + hi, spec().phase == job_phase::setup);
  }

 private:
  std::uint64_t n_;
  std::uint32_t passes_;
  arrays memory_;
};

class triad_kernel final : public kernel {
 public:
  std::string_view name() const noexcept override { return "triad"; }
  int version() const noexcept override { return 1; }
  std::string_view description() const noexcept override {
    return "STREAM triad a = b + q c over three arrays in shared memory: memory-bound, bytes/s";
  }
  std::string_view unit() const noexcept override { return "elements"; }
  std::vector<kernel_param> params() const override {
    return {{"passes",
             "triad passes over the arrays per run (one synchronised step each)",
             kernel_param::type::integer,
             "10",
             {},
             1,
             10'000}};
  }
  // STREAM's rule: each array at least 4x the last-level cache, so no pass is served from it.
  std::optional<std::uint64_t> default_size() const override {
    const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
    return std::max<std::uint64_t>(std::uint64_t{1} << 24,
                                   l3 > 0 ? 4 * static_cast<std::uint64_t>(l3) / sizeof(double) : 0);
  }
  std::shared_ptr<const kernel_job> make_job(const job_spec& spec) const override {
    if (spec.size < 1) throw usage_error("kernel triad: the size (elements per array) must be at least 1");
    if (spec.size > (std::uint64_t{1} << 40))
      throw usage_error(fmt::format("kernel triad: {} elements per array is more than 2^40", spec.size));
    return std::make_shared<triad_job>(spec, map_arrays(spec.size));
  }
};

}  // namespace

std::unique_ptr<kernel> make_triad() { return std::make_unique<triad_kernel>(); }

}  // namespace parbench::kernels
