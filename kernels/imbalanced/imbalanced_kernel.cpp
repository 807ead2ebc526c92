// A load-imbalanced Monte Carlo workload: chunks as pi's (2^16 base points each), but chunk c
// draws weight(c) times its base length from stream (seed, c), the weight following a named
// profile (profile.hpp). The result is the exact hit count and the draws made; the unit counts
// draws, so samples/s stays honest. On it a static block split is unbalanced and a dynamic
// schedule is not: docs/kernels.md gives each profile's static bound.

#include <fmt/format.h>

#include <memory>

#include "core/errors.hpp"
#include "core/kernel.hpp"
#include "kernels/imbalanced/profile.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/sampler.hpp"

namespace parbench::kernels {
namespace {

using imbalanced::profile;

class imbalanced_job final : public kernel_job {
 public:
  imbalanced_job(const job_spec& spec, std::uint64_t total_draws)
      : kernel_job(spec),
        base_{spec.size, spec.seed, parse_rng(param(spec, "rng"))},
        profile_(imbalanced::parse_profile(param(spec, "profile"))),
        max_weight_(param_uint(spec, "max_weight")),
        total_draws_(total_draws) {}

  std::uint64_t chunk_count() const noexcept override { return base_.chunk_count(); }
  const std::vector<result_word>& layout() const noexcept override {
    static const std::vector<result_word> words = {{"hits", combine_op::sum}, {"draws", combine_op::sum}};
    return words;
  }
  void accumulate(chunk_range range, std::span<std::uint64_t> acc) const override {
    std::uint64_t hits = 0, draws = 0;
    for (std::uint64_t c = range.first; c < range.last; ++c) {
      const std::uint64_t n = chunk_items(c);
      hits += stream_hits(base_.rng, base_.seed, c, n);
      draws += n;
    }
    acc[0] += hits;
    acc[1] += draws;
  }
  std::uint64_t chunk_items(std::uint64_t chunk) const noexcept override {
    return base_.chunk_length(chunk) *
           imbalanced::chunk_weight(profile_, max_weight_, base_.seed, chunk, chunk_count());
  }
  work_counts work() const noexcept override { return {total_draws_, 0, 0}; }
  check_outcome check(std::span<const std::uint64_t> result) const override {
    if (result[1] != total_draws_)
      return {false, fmt::format("{} draws made, the job has {}", result[1], total_draws_), std::nullopt};
    const pi_check c = check_estimate(result[0], total_draws_);
    return {c.ok,
            fmt::format("pi estimate {:.8f} from {} draws, {:+.1f} sigma from pi", c.estimate, total_draws_,
                        c.error / c.sigma),
            c.estimate};
  }

 private:
  pi_job base_;
  profile profile_;
  std::uint64_t max_weight_;
  std::uint64_t total_draws_;
};

class imbalanced_kernel final : public kernel {
 public:
  std::string_view name() const noexcept override { return "imbalanced"; }
  int version() const noexcept override { return 1; }
  std::string_view description() const noexcept override {
    return "Monte Carlo pi with chunk costs that vary by a profile (ramp, heavy, random): scheduling matters";
  }
  std::string_view unit() const noexcept override { return "samples"; }
  std::vector<kernel_param> params() const override {
    return {
        {"profile",
         "chunk cost profile: ramp (1 to max_weight), heavy (1 in 16 chunks max_weight), random "
         "(heavy-tailed)",
         kernel_param::type::choice,
         "ramp",
         {"ramp", "heavy", "random"}},
        {"max_weight", "cost of the heaviest chunk, in base chunks", kernel_param::type::integer, "16", {}, 1, 1024},
        {"rng", "point generator: philox or light", kernel_param::type::choice, "philox", {"philox", "light"}}};
  }
  std::shared_ptr<const kernel_job> make_job(const job_spec& spec) const override {
    if (spec.size < 1) throw usage_error("kernel imbalanced: the size (base samples) must be at least 1");
    const pi_job base{spec.size, spec.seed, parse_rng(param(spec, "rng"))};
    const profile p = imbalanced::parse_profile(param(spec, "profile"));
    const std::uint64_t max_weight = param_uint(spec, "max_weight");
    // Draws are summed exactly: refuse sizes whose total could exceed 2^63.
    if (spec.size > (std::uint64_t{1} << 63) / max_weight)
      throw usage_error(
          fmt::format("kernel imbalanced: size {} with max_weight {} could draw more than 2^63 "
                      "samples; choose a size up to {}",
                      spec.size, max_weight, (std::uint64_t{1} << 63) / max_weight));
    std::uint64_t total = 0;
    const std::uint64_t chunks = base.chunk_count();
    for (std::uint64_t c = 0; c < chunks; ++c)
      total += base.chunk_length(c) * imbalanced::chunk_weight(p, max_weight, base.seed, c, chunks);
    return std::make_shared<imbalanced_job>(spec, total);
  }
  std::vector<std::pair<std::string, std::string>> metadata() const override {
    return {{"isa", std::string(to_string(active_isa()))}};
  }
};

}  // namespace

std::unique_ptr<kernel> make_imbalanced() { return std::make_unique<imbalanced_kernel>(); }

}  // namespace parbench::kernels
