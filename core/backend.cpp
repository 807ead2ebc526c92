#include "core/backend.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "core/assert.hpp"
#include "core/errors.hpp"

namespace parbench {
namespace {

std::string schedule_names(const backend_abilities& a) {
  std::string out;
  for (const auto& s : a.schedules)
    out += fmt::format("{}{}{}", out.empty() ? "" : ", ", s.name, s.takes_grain ? "[:N]" : "");
  return out;
}

}  // namespace

std::string worker_limits() {
  const auto limit = [](int resource, std::uintmax_t unit, const char* suffix) {
    rlimit l{};
    if (::getrlimit(resource, &l) != 0) return std::string("unknown");
    if (l.rlim_cur == RLIM_INFINITY) return std::string("unlimited");
    return fmt::format("{}{}", static_cast<std::uintmax_t>(l.rlim_cur) / unit, suffix);
  };
  return fmt::format(
      "processes and threads {} (ulimit -u), address space {} (ulimit -v), stack {} per thread "
      "(ulimit -s)",
      limit(RLIMIT_NPROC, 1, ""), limit(RLIMIT_AS, 1 << 20, " MiB"), limit(RLIMIT_STACK, 1 << 20, " MiB"));
}

std::string worker_start_failure(std::string_view backend, unsigned worker, unsigned workers, std::string_view reason) {
  return fmt::format("{}: could not start worker {} of {}: {}; limits: {}; lower --workers or raise the limit", backend,
                     worker, workers, reason, worker_limits());
}

std::string to_string(const schedule& s) { return s.grain == 0 ? s.name : fmt::format("{}:{}", s.name, s.grain); }

bool supports_kernel(const backend_abilities& abilities, std::string_view kernel) {
  return abilities.kernels.empty() ||
         std::find(abilities.kernels.begin(), abilities.kernels.end(), kernel) != abilities.kernels.end();
}

schedule_option resolve_schedule(std::string_view backend_name, const backend_abilities& abilities, const schedule& s) {
  PARBENCH_ASSERT(!abilities.schedules.empty());
  if (s.name.empty()) return abilities.schedules.front();
  const auto it = std::find_if(abilities.schedules.begin(), abilities.schedules.end(),
                               [&](const auto& o) { return o.name == s.name; });
  if (it == abilities.schedules.end())
    throw usage_error(
        fmt::format("{}: unknown schedule '{}'; choose {}", backend_name, to_string(s), schedule_names(abilities)));
  if (s.grain != 0 && !it->takes_grain)
    throw usage_error(
        fmt::format("{}: schedule {} takes no chunk count (':{}'); write {}", backend_name, s.name, s.grain, s.name));
  return *it;
}

schedule parse_schedule(const backend& b, std::string_view text) {
  schedule s;
  const auto colon = text.find(':');
  s.name = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view n = text.substr(colon + 1);
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), s.grain);
    if (n.empty() || ec != std::errc{} || end != n.data() + n.size() || s.grain == 0 || s.grain > (1u << 30))
      throw usage_error(
          fmt::format("{}: invalid chunk count '{}' in schedule '{}'; give 1..{}", b.name(), n, text, 1u << 30));
  }
  (void)resolve_schedule(b.name(), b.abilities(), s);
  return s;
}

namespace {

std::optional<run_result> run_phase(backend& b, const run_request& request, job_phase phase,
                                    std::shared_ptr<const kernel_job>& job) {
  job = request.job->phase_job(phase);
  if (!job) return std::nullopt;
  run_request r = request;
  r.job = job;
  return b.run(r);
}

}  // namespace

bool run_setup(backend& b, const run_request& request) {
  std::shared_ptr<const kernel_job> job = request.job->phase_job(job_phase::setup);
  if (!job) return false;
  request.job->reset_memory();
  const auto result = run_phase(b, request, job_phase::setup, job);
  const check_outcome c = job->check(result->result);
  if (!c.ok) throw run_error(fmt::format("{}: the set-up pass failed: {}", b.name(), c.summary));
  return true;
}

std::optional<check_outcome> run_verify(backend& b, const run_request& request) {
  std::shared_ptr<const kernel_job> job;
  const auto result = run_phase(b, request, job_phase::verify, job);
  if (!result) return std::nullopt;
  return job->check(result->result);
}

}  // namespace parbench
