#include "bench/conditions.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace parbench::bench {
namespace {

std::string slurp(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Skips spaces, then reads one unsigned decimal; false at the end of the line or on garbage.
bool next_number(std::string_view& s, double& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  unsigned long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{}) return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  out = static_cast<double>(v);
  return true;
}

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

}  // namespace

std::optional<machine_cpu_times> parse_proc_stat(std::string_view text, double ticks_per_s) {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest time is
  // already counted in user).
  if (!text.starts_with("cpu ") || ticks_per_s <= 0) return std::nullopt;
  text.remove_prefix(4);
  text = text.substr(0, text.find('\n'));
  std::array<double, 8> f{};
  for (double& v : f)
    if (!next_number(text, v)) return std::nullopt;
  const auto [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  (void)idle;
  (void)iowait;
  return machine_cpu_times{(user + nice + system + irq + softirq) / ticks_per_s, steal / ticks_per_s};
}

std::optional<double> parse_loadavg(std::string_view text) {
  double load = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), load);
  if (ec != std::errc{} || end == text.data() || load < 0) return std::nullopt;
  return load;
}

repetition_conditions conditions_between(const machine_cpu_times& before, const machine_cpu_times& after,
                                         double own_cpu_s, double elapsed_s, unsigned cpus) {
  repetition_conditions c;
  const double capacity = elapsed_s * static_cast<double>(cpus);
  if (capacity <= 0) return c;
  c.other_cpu = clamp01((after.busy_s - before.busy_s - own_cpu_s) / capacity);
  c.steal = clamp01((after.steal_s - before.steal_s) / capacity);
  return c;
}

conditions_probe::conditions_probe()
    : start_(parse_proc_stat(slurp("/proc/stat"), static_cast<double>(::sysconf(_SC_CLK_TCK)))),
      load1_(parse_loadavg(slurp("/proc/loadavg"))),
      t0_(std::chrono::steady_clock::now()) {}

repetition_conditions conditions_probe::finish(double own_cpu_s) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const auto end = parse_proc_stat(slurp("/proc/stat"), static_cast<double>(::sysconf(_SC_CLK_TCK)));
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  repetition_conditions c;
  if (start_ && end && online > 0)
    c = conditions_between(*start_, *end, own_cpu_s, elapsed, static_cast<unsigned>(online));
  c.load1_start = load1_;
  return c;
}

}  // namespace parbench::bench
