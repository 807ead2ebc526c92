#pragma once
// The machine's shape, from hwloc: packages, NUMA nodes, physical cores, SMT threads and caches,
// and the CPUs this process may use (cgroup cpuset and affinity mask: what a container or Slurm
// gives). From it: the default worker list (physical cores first, then SMT threads), pinning
// plans (which CPU each worker gets) and the warnings about how workers share the machine.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/affinity.hpp"

namespace parbench::bench {

/// One cache level: its size per instance and how many instances the machine has.
struct cache_level {
  unsigned level = 0;
  std::uint64_t bytes = 0;
  unsigned instances = 0;
};

/// One physical core and the hardware threads (PUs) of it this process may use.
struct core_slot {
  unsigned package = 0;   ///< logical index of its package
  unsigned numa = 0;      ///< logical index of its NUMA node
  std::vector<int> cpus;  ///< OS CPU numbers of its allowed PUs, in hwloc order
};

struct topology {
  /// "machine" (this machine, through hwloc), "synthetic:<description>" or "xml:<path>".
  std::string source = "machine";
  unsigned packages = 1;
  unsigned numa_nodes = 1;
  unsigned cores = 1;               ///< physical cores of the machine
  unsigned cpus = 1;                ///< hardware threads (PUs) of the machine
  unsigned smt_per_core = 1;        ///< hardware threads per core (the most any core has)
  std::vector<cache_level> caches;  ///< L1 up, data and unified caches only
  /// Cores with at least one PU this process may use, in topology order (package, NUMA, core).
  std::vector<core_slot> allowed;

  /// PUs this process may use.
  [[nodiscard]] unsigned allowed_cpus() const noexcept;
  /// Physical cores this process may use (any of their PUs).
  [[nodiscard]] unsigned allowed_cores() const noexcept { return static_cast<unsigned>(allowed.size()); }
  /// The allowed OS CPU numbers, ascending.
  [[nodiscard]] std::vector<int> allowed_cpu_list() const;
};

/// This machine, or the topology PARBENCH_TOPOLOGY names (a hwloc synthetic description such as
/// "pack:2 numa:2 core:4 pu:2", or the path of an XML file from `lstopo foo.xml`) so that a
/// plan can be checked for hardware one does not have. Throws usage_error for a bad value.
[[nodiscard]] topology read_topology();

/// A hwloc synthetic description or "xml:<path>" as a topology; every PU is allowed unless
/// `allowed_cpus` names some (OS CPU numbers). Throws usage_error for a bad description.
[[nodiscard]] topology load_topology(std::string_view description, const std::vector<int>& allowed_cpus = {});

/// The default --workers list: 1, 2, 4, ... and the number of allowed physical cores, then, on
/// a machine with SMT, on to every allowed hardware thread (the points past smt_boundary()).
[[nodiscard]] std::vector<unsigned> default_workers(const topology& t);

/// The largest W at which each worker can have a physical core of its own.
[[nodiscard]] unsigned smt_boundary(const topology& t) noexcept;

/// The OS CPU for each of `workers` workers under `policy`:
/// - compact: fill a core's hardware threads, then the next core, package by package;
/// - spread: one worker per core, round-robin over NUMA nodes (alternating packages), the SMT
///   siblings only once every core has one.
/// Empty for pin_policy::none. Throws usage_error when more workers than allowed CPUs are asked
/// to be pinned (each pinned worker gets a CPU of its own).
[[nodiscard]] std::vector<int> plan_pinning(const topology& t, pin_policy policy, unsigned workers);

/// Warnings about how `workers` workers under `policy` share this machine: SMT siblings both
/// busy, more workers than allowed CPUs, a CPU set smaller than the machine's CPUs.
[[nodiscard]] std::vector<std::string> sharing_warnings(const topology& t, pin_policy policy, unsigned workers);

/// metadata.json's "topology" object (docs/report-format.md).
[[nodiscard]] nlohmann::json to_json(const topology& t);

/// One line for the console header: "1 package, 1 NUMA node, 2 cores x 1 thread, L3 32 MiB; 2 CPUs allowed".
[[nodiscard]] std::string describe(const topology& t);

}  // namespace parbench::bench
