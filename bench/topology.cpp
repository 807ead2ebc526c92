#include "bench/topology.hpp"

#include <fmt/format.h>
#include <hwloc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>

#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench::bench {
namespace {

// RAII for a hwloc topology and a bitmap.
struct topology_deleter {
  void operator()(hwloc_topology* t) const noexcept { hwloc_topology_destroy(t); }
};
using topology_ptr = std::unique_ptr<hwloc_topology, topology_deleter>;
struct bitmap_deleter {
  void operator()(hwloc_bitmap_s* b) const noexcept { hwloc_bitmap_free(b); }
};
using bitmap_ptr = std::unique_ptr<hwloc_bitmap_s, bitmap_deleter>;

unsigned count(hwloc_topology_t t, hwloc_obj_type_t type) {
  const int n = hwloc_get_nbobjs_by_type(t, type);
  return n > 0 ? static_cast<unsigned>(n) : 0u;
}

// The logical index of the ancestor of `obj` of `type`; 0 when it has none.
unsigned ancestor_index(hwloc_topology_t t, hwloc_obj_t obj, hwloc_obj_type_t type) {
  const hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(t, type, obj);
  return a != nullptr ? a->logical_index : 0u;
}

// The NUMA node of a core: NUMA nodes are memory children in hwloc 2, attached to the core's
// ancestors; the first one whose cpuset contains the core's.
unsigned numa_of(hwloc_topology_t t, hwloc_obj_t core) {
  for (hwloc_obj_t n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, nullptr); n != nullptr;
       n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n))
    if (n->cpuset != nullptr && hwloc_bitmap_isincluded(core->cpuset, n->cpuset)) return n->logical_index;
  return 0;
}

topology describe_loaded(hwloc_topology_t t, std::string source, hwloc_const_bitmap_t allowed) {
  topology out;
  out.source = std::move(source);
  out.packages = std::max(1u, count(t, HWLOC_OBJ_PACKAGE));
  out.numa_nodes = std::max(1u, count(t, HWLOC_OBJ_NUMANODE));
  out.cpus = std::max(1u, count(t, HWLOC_OBJ_PU));
  out.cores = std::max(1u, count(t, HWLOC_OBJ_CORE));
  const hwloc_obj_type_t levels[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
                                     HWLOC_OBJ_L5CACHE};
  for (const hwloc_obj_type_t type : levels) {
    const hwloc_obj_t first = hwloc_get_next_obj_by_type(t, type, nullptr);
    if (first == nullptr || first->attr == nullptr) continue;
    out.caches.push_back({first->attr->cache.depth, first->attr->cache.size, count(t, type)});
  }
  // Cores (or, where hwloc shows none, PUs as cores of one thread each), with their allowed PUs.
  const bool has_cores = count(t, HWLOC_OBJ_CORE) > 0;
  const hwloc_obj_type_t unit = has_cores ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
  for (hwloc_obj_t core = hwloc_get_next_obj_by_type(t, unit, nullptr); core != nullptr;
       core = hwloc_get_next_obj_by_type(t, unit, core)) {
    core_slot slot;
    slot.package = ancestor_index(t, core, HWLOC_OBJ_PACKAGE);
    slot.numa = numa_of(t, core);
    unsigned threads = 0;
    for (hwloc_obj_t pu = hwloc_get_next_obj_inside_cpuset_by_type(t, core->cpuset, HWLOC_OBJ_PU, nullptr);
         pu != nullptr; pu = hwloc_get_next_obj_inside_cpuset_by_type(t, core->cpuset, HWLOC_OBJ_PU, pu)) {
      ++threads;
      if (hwloc_bitmap_isset(allowed, pu->os_index) != 0) slot.cpus.push_back(static_cast<int>(pu->os_index));
    }
    out.smt_per_core = std::max(out.smt_per_core, threads);
    if (!slot.cpus.empty()) out.allowed.push_back(std::move(slot));
  }
  if (!has_cores) out.cores = out.cpus;
  return out;
}

topology_ptr new_topology() {
  hwloc_topology_t t = nullptr;
  if (hwloc_topology_init(&t) != 0) throw usage_error("hwloc could not set up a topology");
  topology_ptr owned(t);
  // Disallowed PUs stay in the tree (a container's cpuset is then visible as a subset).
  hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
  return owned;
}

void load(hwloc_topology_t t, const std::string& what) {
  if (hwloc_topology_load(t) != 0) throw usage_error(fmt::format("hwloc could not load the topology ({})", what));
}

}  // namespace

unsigned topology::allowed_cpus() const noexcept {
  unsigned n = 0;
  for (const auto& c : allowed) n += static_cast<unsigned>(c.cpus.size());
  return n;
}

std::vector<int> topology::allowed_cpu_list() const {
  std::vector<int> out;
  for (const auto& c : allowed) out.insert(out.end(), c.cpus.begin(), c.cpus.end());
  std::sort(out.begin(), out.end());
  return out;
}

topology load_topology(std::string_view description, const std::vector<int>& allowed_cpus) {
  const std::string text(description);
  topology_ptr t = new_topology();
  std::string source;
  if (text.rfind("xml:", 0) == 0) {
    const std::string path = text.substr(4);
    if (hwloc_topology_set_xml(t.get(), path.c_str()) != 0)
      throw usage_error(
          fmt::format("PARBENCH_TOPOLOGY: cannot read the hwloc XML file '{}' (write one with "
                      "`lstopo file.xml`)",
                      path));
    source = "xml:" + path;
  } else {
    if (hwloc_topology_set_synthetic(t.get(), text.c_str()) != 0)
      throw usage_error(
          fmt::format("PARBENCH_TOPOLOGY: '{}' is not a hwloc synthetic description (e.g. "
                      "\"pack:2 numa:2 core:4 pu:2\") nor xml:<path>",
                      text));
    source = "synthetic:" + text;
  }
  load(t.get(), source);
  const bitmap_ptr allowed(hwloc_bitmap_dup(hwloc_topology_get_complete_cpuset(t.get())));
  if (!allowed_cpus.empty()) {
    hwloc_bitmap_zero(allowed.get());
    for (const int cpu : allowed_cpus) hwloc_bitmap_set(allowed.get(), static_cast<unsigned>(cpu));
  }
  topology out = describe_loaded(t.get(), std::move(source), allowed.get());
  if (out.allowed.empty()) throw usage_error("PARBENCH_TOPOLOGY: none of its CPUs is allowed");
  return out;
}

topology read_topology() {
  if (const char* forced = std::getenv("PARBENCH_TOPOLOGY"); forced != nullptr && *forced != '\0')
    return load_topology(forced);
  topology_ptr t = new_topology();
  load(t.get(), "this machine");
  // What this process may use: the cgroup cpuset (hwloc's allowed set) and the affinity mask
  // (taskset, numactl, Slurm, mpirun --bind-to) together.
  const bitmap_ptr allowed(hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t.get())));
  const bitmap_ptr bound(hwloc_bitmap_alloc());
  if (hwloc_get_cpubind(t.get(), bound.get(), HWLOC_CPUBIND_THREAD) == 0)
    hwloc_bitmap_and(allowed.get(), allowed.get(), bound.get());
  topology out = describe_loaded(t.get(), "machine", allowed.get());
  // Should not happen (the binding lies outside the cpuset): then every CPU the machine has.
  if (out.allowed.empty()) out = describe_loaded(t.get(), "machine", hwloc_topology_get_complete_cpuset(t.get()));
  return out;
}

namespace {
// The planner backends use in processes of their own (core/affinity.hpp): this process's
// topology, read once.
std::vector<int> plan_here(pin_policy policy, unsigned workers) {
  static const topology here = read_topology();
  return plan_pinning(here, policy, workers);
}
[[maybe_unused]] const bool planner_installed = (install_pin_planner(&plan_here), true);
}  // namespace

unsigned smt_boundary(const topology& t) noexcept { return std::max(1u, t.allowed_cores()); }

std::vector<unsigned> default_workers(const topology& t) {
  std::set<unsigned> w;
  const unsigned cores = std::min(smt_boundary(t), max_workers);
  const unsigned cpus = std::min(std::max(cores, t.allowed_cpus()), max_workers);
  for (unsigned p = 1; p < cores; p *= 2) w.insert(p);
  w.insert(cores);
  // With SMT: doublings of the core count, then every hardware thread.
  for (unsigned p = cores * 2; p < cpus; p *= 2) w.insert(p);
  w.insert(cpus);
  return {w.begin(), w.end()};
}

std::vector<int> plan_pinning(const topology& t, pin_policy policy, unsigned workers) {
  if (policy == pin_policy::none) return {};
  const unsigned cpus = t.allowed_cpus();
  if (workers > cpus)
    throw usage_error(
        fmt::format("--pin {}: {} workers cannot each have a CPU of their own; this process may use "
                    "{} CPUs ({}). Use --workers {} or less, or --pin none",
                    to_string(policy), workers, cpus, cpu_list_text(t.allowed_cpu_list()), cpus));
  std::vector<int> order;
  if (policy == pin_policy::compact) {
    for (const auto& core : t.allowed) order.insert(order.end(), core.cpus.begin(), core.cpus.end());
  } else {
    // Groups by NUMA node, ordered so that consecutive groups alternate packages.
    std::vector<std::pair<unsigned, unsigned>> keys;  // (package, numa)
    for (const auto& core : t.allowed)
      if (std::find(keys.begin(), keys.end(), std::pair{core.package, core.numa}) == keys.end())
        keys.emplace_back(core.package, core.numa);
    std::vector<std::vector<const core_slot*>> groups(keys.size());
    for (const auto& core : t.allowed) {
      const auto at = std::find(keys.begin(), keys.end(), std::pair{core.package, core.numa}) - keys.begin();
      groups[static_cast<std::size_t>(at)].push_back(&core);
    }
    // Rank each group within its package, then order by (rank, package): p0n0, p1n0, p0n1, ...
    std::vector<std::size_t> by(groups.size());
    std::vector<unsigned> rank(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
      by[g] = g;
      for (std::size_t h = 0; h < g; ++h) rank[g] += keys[h].first == keys[g].first ? 1u : 0u;
    }
    std::stable_sort(by.begin(), by.end(), [&](std::size_t a, std::size_t b) {
      return std::pair{rank[a], keys[a].first} < std::pair{rank[b], keys[b].first};
    });
    // Thread level by thread level (the SMT siblings last), core by core, round-robin over groups.
    for (unsigned level = 0; level < t.smt_per_core; ++level) {
      std::vector<std::size_t> next(groups.size(), 0);
      for (bool more = true; more;) {
        more = false;
        for (const std::size_t g : by) {
          while (next[g] < groups[g].size() && groups[g][next[g]]->cpus.size() <= level) ++next[g];
          if (next[g] == groups[g].size()) continue;
          order.push_back(groups[g][next[g]++]->cpus[level]);
          more = true;
        }
      }
    }
  }
  order.resize(workers);
  return order;
}

std::vector<std::string> sharing_warnings(const topology& t, pin_policy policy, unsigned workers) {
  std::vector<std::string> out;
  const unsigned cores = t.allowed_cores(), cpus = t.allowed_cpus();
  if (workers > cpus)
    out.push_back(
        fmt::format("W={} is more workers than the {} CPUs this process may use: workers take turns on "
                    "the CPUs, so time includes waiting for one",
                    workers, cpus));
  else if (workers > cores)
    out.push_back(
        fmt::format("W={} is more workers than the {} physical cores this process may use: SMT siblings "
                    "are both busy, and two threads of one core share its execution units",
                    workers, cores));
  else if (policy == pin_policy::compact && workers > 1) {
    // The cores the plan really uses (a container may allow one thread of each core only).
    std::set<std::size_t> used;
    for (const int cpu : plan_pinning(t, policy, workers))
      for (std::size_t c = 0; c < t.allowed.size(); ++c)
        if (std::find(t.allowed[c].cpus.begin(), t.allowed[c].cpus.end(), cpu) != t.allowed[c].cpus.end())
          used.insert(c);
    if (used.size() < workers)
      out.push_back(
          fmt::format("--pin compact places W={} on the SMT siblings of {} core(s): they share a core's "
                      "execution units (use --pin spread for one core per worker)",
                      workers, used.size()));
  }
  return out;
}

nlohmann::json to_json(const topology& t) {
  nlohmann::json caches = nlohmann::json::array();
  for (const auto& c : t.caches) caches.push_back({{"level", c.level}, {"bytes", c.bytes}, {"instances", c.instances}});
  return {
      {"source", t.source},
      {"packages", t.packages},
      {"numa_nodes", t.numa_nodes},
      {"cores", t.cores},
      {"cpus", t.cpus},
      {"smt_per_core", t.smt_per_core},
      {"caches", caches},
      {"allowed_cpus", cpu_list_text(t.allowed_cpu_list())},
      {"allowed_cpu_count", t.allowed_cpus()},
      {"allowed_cores", t.allowed_cores()},
      {"smt_boundary_workers", smt_boundary(t)},
  };
}

std::string describe(const topology& t) {
  const auto plural = [](unsigned n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); };
  std::string text = fmt::format("{}, {}, {} x {}", plural(t.packages, "package"), plural(t.numa_nodes, "NUMA node"),
                                 plural(t.cores, "core"), plural(t.smt_per_core, "thread"));
  for (const auto& c : t.caches)
    if (c.level >= 2)
      text += c.bytes >= (1u << 20) ? fmt::format(", L{} {} MiB x {}", c.level, c.bytes >> 20, c.instances)
                                    : fmt::format(", L{} {} KiB x {}", c.level, c.bytes >> 10, c.instances);
  text += fmt::format("; this process may use {} of {} CPU{} ({})", t.allowed_cpus(), t.cpus, t.cpus == 1 ? "" : "s",
                      cpu_list_text(t.allowed_cpu_list()));
  return text;
}

}  // namespace parbench::bench
