#pragma once
// Describes the machine and the build a report was measured on (metadata.json).

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/topology.hpp"

namespace parbench::bench {

struct run_plan;

struct machine_info {
  std::string hostname;
  std::string cpu_model;      ///< /proc/cpuinfo "model name"
  unsigned logical_cpus = 0;  ///< configured processors
  unsigned online_cpus = 0;
  std::string governor;  ///< cpufreq governor of cpu0, "unknown" where cpufreq is absent
  std::string boost;     ///< "on", "off" (cpufreq boost, intel_pstate turbo) or "unknown"
  std::array<double, 3> load_average{};
  std::string kernel;  ///< uname: sysname release machine
  std::uint64_t memory_bytes = 0;
  bench::topology topology;  ///< packages, cores, SMT, caches, the CPUs this process may use
};

/// Reads the machine description now (the load average is the one at the call).
machine_info read_machine_info();

/// Resident memory of this process in bytes (/proc/self/statm); 0 when unknown.
std::uint64_t resident_bytes();

/// The git commit of the source tree this binary was built from, or empty.
std::string git_commit();

/// metadata.json (docs/report-format.md) without the "suite" object.
nlohmann::json metadata(const machine_info& machine, const std::string& command_line, std::uint64_t seed,
                        const std::string& timestamp);

/// The "mpi" object of metadata.json when `plan` runs the mpi backend and MPI is up:
/// ranks, threads_per_rank (the W values: --workers is per rank for mpi), hosts (one per
/// rank). Null otherwise. (MPI's start-up cost is a row of overhead.csv.)
nlohmann::json mpi_metadata(const run_plan& plan);

/// The "backend_info" object of metadata.json: for each planned backend whose
/// backend::metadata() is not empty (e.g. cuda: GPU name, SM count, clocks, driver), its
/// pairs under the backend's name. Null when no backend has any.
nlohmann::json backend_metadata(const run_plan& plan);

/// The kernels of `plan`: name, version, unit, parameters and the kernel's own facts (ISA path).
nlohmann::json kernel_metadata(const run_plan& plan);

/// metadata.json's "backend_styles": the colour and marker of every backend registered in this
/// binary (its declared style, else the fallback of core/backend_style.hpp) and of each of
/// `other_names` (peers) that is not one.
nlohmann::json backend_styles(const std::vector<std::string>& other_names);

/// metadata.json's "timer": the clock and its measured resolution_ns.
nlohmann::json timer_metadata(double resolution_ns);

/// This process's command line (/proc/self/cmdline), arguments quoted where needed.
std::string command_line();

/// Current UTC time as ISO-8601 ("2026-11-26T03:10:00Z").
std::string utc_timestamp();

}  // namespace parbench::bench
