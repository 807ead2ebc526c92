// Monte Carlo pi, the default kernel: n points, 2^16 per chunk, chunk c's points from the
// counter-based stream (seed, c); the result is the exact hit count. Version 1: the same
// counts as parbench before kernels were plug-ins, for every seed, n, rng and ISA path.

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "core/errors.hpp"
#include "core/kernel.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/sampler.hpp"

namespace parbench::kernels {
namespace {

class pi_kernel_job final : public kernel_job {
 public:
  explicit pi_kernel_job(const job_spec& spec)
      : kernel_job(spec), job_{spec.size, spec.seed, parse_rng(param(spec, "rng"))} {}

  std::uint64_t chunk_count() const noexcept override { return job_.chunk_count(); }
  const std::vector<result_word>& layout() const noexcept override {
    static const std::vector<result_word> words = {{"hits", combine_op::sum}};
    return words;
  }
  void accumulate(chunk_range range, std::span<std::uint64_t> acc) const override {
    acc[0] += count_hits(job_, range.first, range.last);
  }
  std::uint64_t chunk_items(std::uint64_t chunk) const noexcept override { return job_.chunk_length(chunk); }
  work_counts work() const noexcept override { return {job_.samples, 0, 0}; }
  check_outcome check(std::span<const std::uint64_t> result) const override {
    const pi_check c = check_estimate(result[0], job_.samples);
    return {c.ok, fmt::format("pi estimate {:.8f}, {:+.1f} sigma from pi", c.estimate, c.error / c.sigma), c.estimate};
  }

 private:
  pi_job job_;
};

class pi_kernel final : public kernel {
 public:
  std::string_view name() const noexcept override { return "pi"; }
  int version() const noexcept override { return kernel_version; }
  std::string_view description() const noexcept override {
    return "Monte Carlo pi: uniform, compute-bound; every chunk costs the same";
  }
  std::string_view unit() const noexcept override { return "samples"; }
  std::vector<kernel_param> params() const override {
    return {{"rng",
             "point generator: philox (Philox4x32-10) or light (a cheap counter hash)",
             kernel_param::type::choice,
             "philox",
             {"philox", "light"}}};
  }
  std::shared_ptr<const kernel_job> make_job(const job_spec& spec) const override {
    if (spec.size < 1) throw usage_error("kernel pi: the size (samples) must be at least 1");
    return std::make_shared<pi_kernel_job>(spec);
  }
  std::vector<std::pair<std::string, std::string>> metadata() const override {
    return {{"isa", std::string(to_string(active_isa()))}};
  }
};

}  // namespace

std::unique_ptr<kernel> make_pi() { return std::make_unique<pi_kernel>(); }

}  // namespace parbench::kernels
