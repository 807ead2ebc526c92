#pragma once
// Pinning workers to CPUs. The harness decides which CPU each worker gets (bench/topology.hpp);
// a backend that declares `backend_abilities::pins_workers` calls pin_worker() in each worker
// before it runs a chunk, and nothing else: the plan is plain OS CPU numbers.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parbench {

/// How workers are placed on CPUs (a run parameter, recorded per configuration).
enum class pin_policy {
  none,     ///< the OS decides (and may migrate workers)
  compact,  ///< fill a core's hardware threads, then the next core, then the next package
  spread,   ///< one worker per core, round-robin over NUMA nodes and packages
};

[[nodiscard]] std::string_view to_string(pin_policy p) noexcept;
/// "none", "compact" or "spread"; nullopt otherwise.
[[nodiscard]] std::optional<pin_policy> parse_pin_policy(std::string_view text) noexcept;

/// Which CPU each worker runs on: cpus[w] is worker w's OS CPU number.
struct pin_plan {
  pin_policy policy = pin_policy::none;
  std::vector<int> cpus;
};

/// Plans `workers` workers under `policy` on the CPUs this process may use; throws usage_error
/// when it cannot. The harness installs its planner (bench/topology.cpp: hwloc) when it is
/// linked in, so that a backend whose workers live in processes of their own making (an MPI
/// rank, bound by mpirun to a CPU set of its own) can plan there, on that set.
using pin_planner = std::vector<int> (*)(pin_policy policy, unsigned workers);
void install_pin_planner(pin_planner planner) noexcept;
/// The installed planner's plan; usage_error when none is installed.
[[nodiscard]] std::vector<int> plan_in_this_process(pin_policy policy, unsigned workers);

/// Pins the calling thread to worker `worker`'s CPU of `plan`. With no plan (null or policy
/// none) a thread that an earlier run pinned gets the process's CPU set back, so that pools
/// kept across runs (OpenMP, TBB) do not carry one run's pinning into the next. Throws run_error
/// naming the backend, the worker and the CPU when the OS refuses. PARBENCH_AFFINITY_LOG (a
/// test hook, docs/reliability.md) appends "backend worker cpu-ranges cpu-now" for every worker
/// pinned or given its CPU set back (process workers say "process" for the backend).
void pin_worker(std::string_view backend, const pin_plan* plan, unsigned worker);

/// The same in a worker process (fork, spawn, forkserver): never throws; false when the OS
/// refused, for the worker to report.
[[nodiscard]] bool pin_worker_process(std::string_view backend, int cpu, unsigned worker) noexcept;

/// Gives the calling thread the process's CPU set back, at the end of its scope, when
/// pin_worker pinned it meanwhile: a backend whose calling thread is one of its workers
/// (OpenMP's master thread, TBB's slot 0) holds one for the run, so that the harness thread, and
/// the children it forks later, are never left pinned. Costs nothing when nothing was pinned.
class thread_affinity_guard {
 public:
  thread_affinity_guard() = default;
  ~thread_affinity_guard();
  thread_affinity_guard(const thread_affinity_guard&) = delete;
  thread_affinity_guard& operator=(const thread_affinity_guard&) = delete;
};

/// The first CPU of `plan` this process may not use, as (worker, cpu); nullopt when every one
/// is allowed. The harness checks a plan with it before anything runs.
[[nodiscard]] std::optional<std::pair<unsigned, int>> first_cpu_not_allowed(const pin_plan& plan);

/// The CPUs the calling thread may run on now (sched_getaffinity), ascending.
[[nodiscard]] std::vector<int> current_cpus();

/// "0-3,8" for {0,1,2,3,8}.
[[nodiscard]] std::string cpu_list_text(const std::vector<int>& cpus);

}  // namespace parbench
