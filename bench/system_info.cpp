#include "bench/system_info.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string_view>

#include "backends/mpi/mpi_job.hpp"
#include "bench/records.hpp"
#include "bench/runner.hpp"
#include "bench/timer.hpp"
#include "core/backend_style.hpp"
#include "core/job_codec.hpp"
#include "core/version.hpp"
#include "kernels/montecarlo/isa.hpp"

#ifdef PARBENCH_HAVE_TBB
#include <oneapi/tbb/version.h>
#endif

namespace parbench::bench {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
      }
    }
  }
  return "unknown";
}

std::string tbb_version() {
#ifdef PARBENCH_HAVE_TBB
  return TBB_VERSION_STRING;
#else
  return "";
#endif
}

}  // namespace

std::uint64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

machine_info read_machine_info() {
  machine_info m;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  m.cpu_model = cpu_model();
  m.logical_cpus = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_CONF));
  m.online_cpus = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN));
  m.governor = first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  if (m.governor.empty()) m.governor = "unknown";
  // acpi-cpufreq and amd-pstate show boost; intel_pstate shows the opposite, no_turbo.
  if (const std::string b = first_line("/sys/devices/system/cpu/cpufreq/boost"); !b.empty())
    m.boost = b == "1" ? "on" : "off";
  else if (const std::string t = first_line("/sys/devices/system/cpu/intel_pstate/no_turbo"); !t.empty())
    m.boost = t == "0" ? "on" : "off";
  else
    m.boost = "unknown";
  m.topology = read_topology();
  double load[3] = {};
  if (::getloadavg(load, 3) == 3) m.load_average = {load[0], load[1], load[2]};
  struct utsname u {};
  if (::uname(&u) == 0) m.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  m.memory_bytes =
      static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return m;
}

std::string git_commit() {
  // At run time from the source tree (exact when run from a checkout), else the commit
  // seen when CMake configured this build.
  const std::string cmd = fmt::format("git -C '{}' rev-parse HEAD 2>/dev/null", PARBENCH_SOURCE_DIR);
  if (FILE* pipe = ::popen(cmd.c_str(), "r")) {
    char buf[128] = {};
    const bool got = std::fgets(buf, sizeof buf, pipe) != nullptr;
    const int status = ::pclose(pipe);
    std::string out = got ? std::string(buf) : std::string();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (status == 0 && out.size() == 40) return out;
  }
  return PARBENCH_CONFIGURE_GIT_COMMIT;
}

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string out, arg;
  while (std::getline(in, arg, '\0')) {
    const bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    if (!out.empty()) out += ' ';
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json mpi_metadata(const run_plan& plan) {
  const auto& job = mpi::current_job();
  const bool runs_mpi = std::any_of(plan.backends.begin(), plan.backends.end(),
                                    [](const planned_backend& b) { return b.entry->name == "mpi"; });
  if (!runs_mpi || !job) return nullptr;
  return {
      {"ranks", job->ranks}, {"threads_per_rank", plan.workers}, {"hosts", job->hosts}, {"cpu_sets", job->cpu_sets}};
}

nlohmann::json backend_metadata(const run_plan& plan) {
  nlohmann::json out;
  for (const auto& b : plan.backends) {
    const auto pairs = b.instance->metadata();
    if (pairs.empty()) continue;
    nlohmann::json& section = out[b.entry->name];
    for (const auto& [key, value] : pairs) section[key] = value;
  }
  return out;
}

nlohmann::json kernel_metadata(const run_plan& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : plan.kernels) {
    nlohmann::json params = nlohmann::json::object(), facts = nlohmann::json::object();
    for (const auto& [name, value] : k.params) params[name] = value;
    for (const auto& [name, value] : k.definition->metadata()) facts[name] = value;
    out.push_back({{"name", std::string(k.definition->name())},
                   {"version", k.definition->version()},
                   {"unit", std::string(k.definition->unit())},
                   {"params", params},
                   {"metadata", facts}});
  }
  return out;
}

nlohmann::json backend_styles(const std::vector<std::string>& other_names) {
  nlohmann::json out = nlohmann::json::object();
  const auto add = [&out](const std::string& name, const backend_style& style) {
    out[name] = {{"colour", style.colour}, {"marker", style.marker}};
  };
  for (const auto& e : registered_backends()) add(e.name, style_of(e.name, e.make()->abilities()));
  for (const auto& name : other_names)
    if (!out.contains(name)) add(name, fallback_style(name));
  return out;
}

nlohmann::json timer_metadata(double resolution_ns) {
  return {{"clock", std::string(timer_clock)}, {"resolution_ns", resolution_ns}};
}

nlohmann::json metadata(const machine_info& m, const std::string& command_line, std::uint64_t seed,
                        const std::string& timestamp) {
  using nlohmann::json;
  return json{
      {"schema_version", schema_version},
      {"codec_version", codec::version},
      {"parbench_version", parbench::version},
      {"timestamp", timestamp},
      {"command_line", command_line},
      {"seed", seed},
      {"git_commit", git_commit()},
      {"machine",
       {{"hostname", m.hostname},
        {"cpu_model", m.cpu_model},
        {"logical_cpus", m.logical_cpus},
        {"online_cpus", m.online_cpus},
        {"governor", m.governor},
        {"boost", m.boost},
        {"topology", to_json(m.topology)},
        {"load_average_start", m.load_average},
        {"kernel", m.kernel},
        {"memory_bytes", m.memory_bytes}}},
      {"build",
       {{"type", parbench::build_type},
        {"compiler", parbench::compiler},
        {"flags", parbench::build_flags},
        {"isa", std::string(kernels::to_string(kernels::active_isa()))},
        {"native", PARBENCH_NATIVE_BUILD != 0}}},
      {"libraries",
       {{"onetbb", tbb_version()},
        {"openmp", PARBENCH_OPENMP_VERSION},
        {"google_benchmark", PARBENCH_BENCHMARK_VERSION},
        {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
        {"mpi", PARBENCH_MPI_VERSION},
        {"cuda", PARBENCH_CUDA_VERSION}}},
  };
}

}  // namespace parbench::bench
