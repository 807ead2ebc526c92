#include "core/kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/assert.hpp"
#include "core/errors.hpp"

namespace parbench {
namespace {

std::string choices_text(const kernel_param& p) {
  std::string out;
  for (const auto& c : p.choices) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// The canonical text of `value` for `p`, or a usage error that says what is valid.
std::string canonical_value(const kernel& k, const kernel_param& p, std::string_view value) {
  if (p.kind == kernel_param::type::choice) {
    if (std::find(p.choices.begin(), p.choices.end(), value) == p.choices.end())
      throw usage_error(fmt::format("kernel {}: invalid value '{}' for parameter {}; choose {}", k.name(), value,
                                    p.name, choices_text(p)));
    return std::string(value);
  }
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || n < p.min || n > p.max)
    throw usage_error(fmt::format("kernel {}: invalid value '{}' for parameter {}; give an integer in {}..{}", k.name(),
                                  value, p.name, p.min, p.max));
  return std::to_string(n);
}

}  // namespace

result_words identity(const std::vector<result_word>& layout) {
  result_words out(layout.size(), 0);
  for (std::size_t i = 0; i < layout.size(); ++i)
    if (layout[i].op == combine_op::min) out[i] = UINT64_MAX;
  return out;
}

void combine(const std::vector<result_word>& layout, std::span<std::uint64_t> into,
             std::span<const std::uint64_t> from) {
  PARBENCH_ASSERT(into.size() == layout.size() && from.size() == layout.size());
  for (std::size_t i = 0; i < layout.size(); ++i) {
    switch (layout[i].op) {
      case combine_op::sum: into[i] += from[i]; break;
      case combine_op::min: into[i] = std::min(into[i], from[i]); break;
      case combine_op::max: into[i] = std::max(into[i], from[i]); break;
    }
  }
}

result_words compute(const kernel_job& job, chunk_range range) {
  return run_steps(job, [&](std::uint64_t key) {
    result_words acc = identity(job.layout());
    if (!range.empty()) job.accumulate_step(key, range, acc);
    return acc;
  });
}

namespace {

// A step of a stepped job, seen as a one-step job: forwards everything to the job it wraps.
class one_step_job final : public kernel_job {
 public:
  one_step_job(std::shared_ptr<const kernel_job> job, std::uint64_t key)
      : kernel_job(job->spec()), job_(std::move(job)), key_(key) {}
  std::uint64_t chunk_count() const noexcept override { return job_->chunk_count(); }
  const std::vector<result_word>& layout() const noexcept override { return job_->layout(); }
  void accumulate(chunk_range range, std::span<std::uint64_t> acc) const override {
    job_->accumulate_step(key_, range, acc);
  }
  std::uint64_t chunk_items(std::uint64_t chunk) const noexcept override { return job_->chunk_items(chunk); }
  work_counts work() const noexcept override { return job_->work(); }
  check_outcome check(std::span<const std::uint64_t> result) const override { return job_->check(result); }

 private:
  std::shared_ptr<const kernel_job> job_;
  std::uint64_t key_;
};

}  // namespace

std::shared_ptr<const kernel_job> one_step_of(std::shared_ptr<const kernel_job> job, std::uint64_t key) {
  return std::make_shared<one_step_job>(std::move(job), key);
}

job_spec complete_spec(const kernel& k, std::uint64_t size, std::uint64_t seed, const param_values& given) {
  const std::vector<kernel_param> declared = k.params();
  std::set<std::string_view> seen;
  for (const auto& entry : given) {
    // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
    const std::string& name = entry.first;
    const bool known = std::any_of(declared.begin(), declared.end(), [&](const auto& p) { return p.name == name; });
    if (!known) {
      std::string names;
      for (const auto& p : declared) names += (names.empty() ? "" : ", ") + p.name;
      throw usage_error(fmt::format("kernel {} has no parameter '{}'; its parameters: {}", k.name(), name,
                                    names.empty() ? "none" : names));
    }
    if (!seen.insert(name).second)
      throw usage_error(fmt::format("kernel {}: parameter {} is given twice", k.name(), name));
  }
  job_spec spec{std::string(k.name()), size, seed, {}};
  for (const auto& p : declared) {
    const auto it = std::find_if(given.begin(), given.end(), [&](const auto& g) { return g.first == p.name; });
    spec.params.emplace_back(p.name, canonical_value(k, p, it != given.end() ? it->second : p.default_value));
  }
  return spec;
}

param_values parse_params(std::string_view text) {
  param_values out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma - start);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw usage_error(fmt::format("malformed kernel parameter '{}' in '{}': write name=value", item, text));
    out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string format_params(const param_values& params) {
  std::string out;
  for (const auto& [name, value] : params) out += fmt::format("{}{}={}", out.empty() ? "" : ";", name, value);
  return out;
}

const std::string& param(const job_spec& spec, std::string_view name) {
  const auto it = std::find_if(spec.params.begin(), spec.params.end(), [&](const auto& p) { return p.first == name; });
  PARBENCH_ASSERT(it != spec.params.end());
  return it->second;
}

std::uint64_t param_uint(const job_spec& spec, std::string_view name) {
  const std::string& text = param(spec, name);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  PARBENCH_ASSERT(ec == std::errc{} && end == text.data() + text.size());
  return n;
}

std::string describe(const job_spec& spec) {
  std::string out = fmt::format("{} size={} seed={}", spec.kernel, spec.size, spec.seed);
  for (const auto& [name, value] : spec.params) out += fmt::format(" {}={}", name, value);
  return out;
}

double static_split_bound(const kernel_job& job, chunk_range range, unsigned workers) {
  const std::uint64_t chunks = range.last - range.first;
  std::uint64_t total = 0, heaviest = 0;
  for (unsigned w = 0; w < workers; ++w) {
    const chunk_range block = partition(chunks, workers, w);
    std::uint64_t items = 0;
    for (std::uint64_t c = block.first; c < block.last; ++c) items += job.chunk_items(range.first + c);
    total += items;
    heaviest = std::max(heaviest, items);
  }
  return heaviest == 0 ? 1.0 : static_cast<double>(total) / static_cast<double>(heaviest);
}

}  // namespace parbench
