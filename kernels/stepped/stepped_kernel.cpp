// A step-synchronised Monte Carlo workload: S steps; in step s every chunk draws its points
// from the stream (k_s, chunk), where k_0 is the seed and k_{s+1} mixes k_s with the exact hit
// count of step s. No backend can start a step before the previous one is combined, so a run
// pays S synchronisations of its model (a barrier and a reduction, a round trip to worker
// processes, a collective). Chunks are small (2^12 points), so that a step is microseconds
// of work and the synchronisation is visible. The result is the last step's hits and points.

#include <fmt/format.h>

#include <memory>

#include "core/errors.hpp"
#include "core/kernel.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/sampler.hpp"

namespace parbench::kernels {
namespace {

/// Points per chunk in each step: a constant of the kernel.
constexpr std::uint64_t step_chunk_samples = std::uint64_t{1} << 12;

// SplitMix64's finaliser: every bit of the next key depends on every bit of the hit count.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class stepped_job final : public kernel_job {
 public:
  stepped_job(const job_spec& spec, std::uint32_t steps)
      : kernel_job(spec),
        rng_(parse_rng(param(spec, "rng"))),
        steps_(steps),
        per_step_(spec.size / steps),
        chunks_((per_step_ + step_chunk_samples - 1) / step_chunk_samples) {}

  std::uint64_t chunk_count() const noexcept override { return chunks_; }
  const std::vector<result_word>& layout() const noexcept override {
    static const std::vector<result_word> words = {{"hits", combine_op::sum}, {"points", combine_op::sum}};
    return words;
  }
  void accumulate(chunk_range range, std::span<std::uint64_t> acc) const override {
    accumulate_step(first_key(), range, acc);
  }
  void accumulate_step(std::uint64_t key, chunk_range range, std::span<std::uint64_t> acc) const override {
    std::uint64_t hits = 0, points = 0;
    for (std::uint64_t c = range.first; c < range.last; ++c) {
      const std::uint64_t n = chunk_items(c);
      hits += stream_hits(rng_, key, c, n);
      points += n;
    }
    acc[0] += hits;
    acc[1] += points;
  }
  std::uint64_t chunk_items(std::uint64_t chunk) const noexcept override {
    const std::uint64_t begin = chunk * step_chunk_samples;
    return per_step_ - begin < step_chunk_samples ? per_step_ - begin : step_chunk_samples;
  }
  work_counts work() const noexcept override { return {per_step_ * steps_, 0, 0}; }
  check_outcome check(std::span<const std::uint64_t> result) const override {
    if (result[1] != per_step_)
      return {false, fmt::format("the last step drew {} points, a step has {}", result[1], per_step_), std::nullopt};
    const pi_check c = check_estimate(result[0], per_step_);
    return {c.ok,
            fmt::format("pi estimate {:.8f} from the last of {} steps of {} points, {:+.1f} sigma from pi", c.estimate,
                        steps_, per_step_, c.error / c.sigma),
            c.estimate};
  }

  std::uint32_t step_count() const noexcept override { return steps_; }
  std::uint64_t first_key() const noexcept override { return spec().seed; }
  std::uint64_t next_key(std::uint64_t key, std::span<const std::uint64_t> step_result) const override {
    return mix(key ^ mix(step_result[0]));
  }

 private:
  rng_kind rng_;
  std::uint32_t steps_;
  std::uint64_t per_step_;
  std::uint64_t chunks_;
};

class stepped_kernel final : public kernel {
 public:
  std::string_view name() const noexcept override { return "stepped"; }
  int version() const noexcept override { return 1; }
  std::string_view description() const noexcept override {
    return "Monte Carlo pi in S steps, each keyed by the previous step's exact total: one synchronisation per step";
  }
  std::string_view unit() const noexcept override { return "samples"; }
  std::vector<kernel_param> params() const override {
    return {{"steps",
             "synchronised steps per run; the size is split evenly among them",
             kernel_param::type::integer,
             "100",
             {},
             1,
             1'000'000},
            {"rng", "point generator: philox or light", kernel_param::type::choice, "philox", {"philox", "light"}}};
  }
  std::shared_ptr<const kernel_job> make_job(const job_spec& spec) const override {
    const std::uint64_t steps = param_uint(spec, "steps");
    if (spec.size < steps)
      throw usage_error(
          fmt::format("kernel stepped: the size ({} samples) must be at least the steps ({}): every "
                      "step draws size / steps points",
                      spec.size, steps));
    if (spec.size / steps >= (std::uint64_t{1} << 52))
      throw usage_error(
          fmt::format("kernel stepped: {} samples per step is too many; use fewer than 2^52", spec.size / steps));
    return std::make_shared<stepped_job>(spec, static_cast<std::uint32_t>(steps));
  }
  std::optional<job_spec> single_step_equivalent(const job_spec& spec) const override {
    const std::uint64_t steps = param_uint(spec, "steps");
    job_spec one = spec;
    one.size = spec.size / steps * steps;  // the points a run of `steps` steps draws
    // A new list rather than assigning "1" in place, which GCC 12 flags with a false -Wrestrict.
    one.params.clear();
    for (const auto& [name, value] : spec.params) one.params.emplace_back(name, name == "steps" ? "1" : value);
    return one;
  }
  std::vector<std::pair<std::string, std::string>> metadata() const override {
    return {{"isa", std::string(to_string(active_isa()))}};
  }
};

}  // namespace

std::unique_ptr<kernel> make_stepped() { return std::make_unique<stepped_kernel>(); }

}  // namespace parbench::kernels
