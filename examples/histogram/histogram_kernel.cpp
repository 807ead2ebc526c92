// A kernel of one's own, registered from outside parbench: a 16-bin histogram of n
// pseudo-random 64-bit values. Value j of chunk c comes from a counter-based hash of
// (seed, c, j), so a chunk's values do not depend on who computes them, and the bins are
// integer counts: every backend, worker count and schedule gives exactly the same histogram.

#include <parbench/parbench.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace histogram {

constexpr int bins = 16;
constexpr std::uint64_t chunk_values = 1ULL << 16;  // fixed by the job, never by the worker count

// SplitMix64's finaliser: a bijective mix, good enough for a histogram.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class job final : public parbench::kernel_job {
 public:
  explicit job(const parbench::job_spec& spec) : kernel_job(spec) {}

  std::uint64_t chunk_count() const noexcept override { return (spec().size + chunk_values - 1) / chunk_values; }

  // 16 counts, then the largest value seen: sums and a max, both exact and order-free.
  const std::vector<parbench::result_word>& layout() const noexcept override {
    static const std::vector<parbench::result_word> words = [] {
      std::vector<parbench::result_word> w;
      w.reserve(bins + 1);
      for (int b = 0; b < bins; ++b) w.push_back({"bin" + std::to_string(b), parbench::combine_op::sum});
      w.push_back({"largest", parbench::combine_op::max});
      return w;
    }();
    return words;
  }

  void accumulate(parbench::chunk_range range, std::span<std::uint64_t> acc) const override {
    std::array<std::uint64_t, bins> counts{};
    std::uint64_t largest = acc[bins];
    for (std::uint64_t c = range.first; c < range.last; ++c) {
      const std::uint64_t key = mix(spec().seed ^ mix(c + 1));
      const std::uint64_t n = chunk_items(c);
      for (std::uint64_t j = 0; j < n; ++j) {
        const std::uint64_t v = mix(key + j);
        ++counts[v >> 60];
        largest = std::max(largest, v);
      }
    }
    for (int b = 0; b < bins; ++b) acc[b] += counts[b];
    acc[bins] = largest;
  }

  std::uint64_t chunk_items(std::uint64_t chunk) const noexcept override {
    return std::min(chunk_values, spec().size - chunk * chunk_values);
  }

  parbench::work_counts work() const noexcept override { return {spec().size, 0, 0}; }

  // Every value counted once, and the bins as even as chance allows: chi-square with 15 degrees
  // of freedom under 50 (a false alarm once in about 10^5 seeds).
  parbench::check_outcome check(std::span<const std::uint64_t> result) const override {
    std::uint64_t total = 0;
    for (int b = 0; b < bins; ++b) total += result[b];
    if (total != spec().size)
      return {false, "the bins hold " + std::to_string(total) + " values, the job has " + std::to_string(spec().size),
              std::nullopt};
    const double expected = static_cast<double>(total) / bins;
    double chi2 = 0;
    for (int b = 0; b < bins; ++b) {
      const double d = static_cast<double>(result[b]) - expected;
      chi2 += d * d / expected;
    }
    const bool ok = total < 16 * bins || chi2 < 50.0;
    return {ok, "chi-square " + std::to_string(chi2) + " over 16 bins of " + std::to_string(total) + " values", chi2};
  }
};

class kernel final : public parbench::kernel {
 public:
  std::string_view name() const noexcept override { return "histogram"; }
  int version() const noexcept override { return 1; }
  std::string_view description() const noexcept override {
    return "16-bin histogram of counter-based pseudo-random values (an example kernel from outside the tree)";
  }
  std::string_view unit() const noexcept override { return "values"; }
  std::vector<parbench::kernel_param> params() const override { return {}; }
  std::shared_ptr<const parbench::kernel_job> make_job(const parbench::job_spec& spec) const override {
    if (spec.size < 1) throw parbench::usage_error("kernel histogram: the size (values) must be at least 1");
    return std::make_shared<job>(spec);
  }
};

}  // namespace histogram

PARBENCH_REGISTER_KERNEL(histogram::kernel);
