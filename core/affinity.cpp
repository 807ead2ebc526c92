#include "core/affinity.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/errors.hpp"

namespace parbench {
namespace {

// Up to 8192 CPUs: a fixed-size set, so that pinning in a forked child allocates nothing.
constexpr int max_cpus = 8192;
constexpr unsigned word_bits = 8 * sizeof(unsigned long);
struct cpu_mask {
  unsigned long bits[max_cpus / word_bits] = {};
  [[nodiscard]] bool has(int cpu) const noexcept {
    return ((bits[static_cast<unsigned>(cpu) / word_bits] >> (static_cast<unsigned>(cpu) % word_bits)) & 1UL) != 0;
  }
  void add(int cpu) noexcept {
    bits[static_cast<unsigned>(cpu) / word_bits] |= 1UL << (static_cast<unsigned>(cpu) % word_bits);
  }
};

bool get_mask(cpu_mask& m) noexcept {
  return ::sched_getaffinity(0, sizeof m.bits, reinterpret_cast<cpu_set_t*>(m.bits)) == 0;
}
bool set_mask(const cpu_mask& m) noexcept {
  return ::sched_setaffinity(0, sizeof m.bits, reinterpret_cast<const cpu_set_t*>(m.bits)) == 0;
}
bool set_one(int cpu) noexcept {
  if (cpu < 0 || cpu >= max_cpus) {
    errno = EINVAL;
    return false;
  }
  cpu_mask m;
  m.add(cpu);
  return set_mask(m);
}

std::vector<int> cpus_of(const cpu_mask& m) {
  std::vector<int> out;
  for (int c = 0; c < max_cpus; ++c)
    if (m.has(c)) out.push_back(c);
  return out;
}

// The CPU set of the process before any worker was pinned: every pin goes through pin_worker,
// so the first call sees an unpinned thread.
const cpu_mask& process_mask() {
  static const cpu_mask mask = [] {
    cpu_mask m;
    if (!get_mask(m))
      for (auto& word : m.bits) word = ~0UL;
    return m;
  }();
  return mask;
}

// The CPU pin_worker last pinned this thread to; -1 = not pinned by us. Makes a repeated call
// (a TBB task of the same run on the same slot) a thread-local compare, not a system call.
thread_local int pinned_cpu = -1;

// The test hook: "backend worker cpu-set cpu-now" per pinned (or unpinned) worker, written with
// a single write() to an O_APPEND file so that lines of concurrent workers never interleave.
void log_pin(std::string_view backend, unsigned worker) noexcept {
  const char* path = std::getenv("PARBENCH_AFFINITY_LOG");
  if (path == nullptr || *path == '\0') return;
  cpu_mask now;
  if (!get_mask(now)) return;
  char line[4096];
  const auto room = [&](int n) { return n > 0 && n < static_cast<int>(sizeof line) - 32; };
  int n = std::snprintf(line, sizeof line, "%.*s %u ", static_cast<int>(backend.size()), backend.data(), worker);
  // The set as ranges, "0-3,8", as cpu_list_text writes it.
  bool first = true;
  for (int c = 0; c < max_cpus && room(n); ++c) {
    if (!now.has(c)) continue;
    int last = c;
    while (last + 1 < max_cpus && now.has(last + 1)) ++last;
    n += last == c
             ? std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), first ? "%d" : ",%d", c)
             : std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), first ? "%d-%d" : ",%d-%d", c, last);
    first = false;
    c = last;
  }
  if (!room(n)) return;
  n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " %d\n", ::sched_getcpu());
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  (void)!::write(fd, line, static_cast<std::size_t>(n));
  ::close(fd);
}

}  // namespace

std::string_view to_string(pin_policy p) noexcept {
  switch (p) {
    case pin_policy::compact: return "compact";
    case pin_policy::spread: return "spread";
    case pin_policy::none: break;
  }
  return "none";
}

std::optional<pin_policy> parse_pin_policy(std::string_view text) noexcept {
  if (text == "none") return pin_policy::none;
  if (text == "compact") return pin_policy::compact;
  if (text == "spread") return pin_policy::spread;
  return std::nullopt;
}

namespace {
std::atomic<pin_planner> installed_planner{nullptr};
}  // namespace

void install_pin_planner(pin_planner planner) noexcept { installed_planner.store(planner); }

std::vector<int> plan_in_this_process(pin_policy policy, unsigned workers) {
  const pin_planner planner = installed_planner.load();
  if (planner == nullptr) throw usage_error("this program has no pinning planner (link parbench's harness)");
  return planner(policy, workers);
}

void pin_worker(std::string_view backend, const pin_plan* plan, unsigned worker) {
  const cpu_mask& all = process_mask();
  if (plan == nullptr || plan->policy == pin_policy::none || plan->cpus.empty()) {
    if (pinned_cpu >= 0 && set_mask(all)) {
      pinned_cpu = -1;
      log_pin(backend, worker);
    }
    return;
  }
  if (worker >= plan->cpus.size())
    throw run_error(fmt::format("{}: worker {} has no CPU in the pinning plan ({} CPUs for {} policy)", backend, worker,
                                plan->cpus.size(), to_string(plan->policy)));
  const int cpu = plan->cpus[worker];
  if (cpu == pinned_cpu) return;
  if (!set_one(cpu))
    throw run_error(fmt::format("{}: could not pin worker {} to CPU {}: {} (the CPUs this process may use: {})",
                                backend, worker, cpu, std::strerror(errno), cpu_list_text(cpus_of(all))));
  pinned_cpu = cpu;
  log_pin(backend, worker);
}

bool pin_worker_process(std::string_view backend, int cpu, unsigned worker) noexcept {
  if (cpu < 0) return true;
  if (!set_one(cpu)) return false;
  log_pin(backend, worker);
  return true;
}

thread_affinity_guard::~thread_affinity_guard() {
  if (pinned_cpu >= 0 && set_mask(process_mask())) pinned_cpu = -1;
}

std::optional<std::pair<unsigned, int>> first_cpu_not_allowed(const pin_plan& plan) {
  const cpu_mask& all = process_mask();
  for (std::size_t w = 0; w < plan.cpus.size(); ++w) {
    const int cpu = plan.cpus[w];
    if (cpu < 0 || cpu >= max_cpus || !all.has(cpu)) return std::pair{static_cast<unsigned>(w), cpu};
  }
  return std::nullopt;
}

std::vector<int> current_cpus() {
  cpu_mask m;
  if (!get_mask(m)) return {};
  return cpus_of(m);
}

std::string cpu_list_text(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? std::to_string(cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace parbench
