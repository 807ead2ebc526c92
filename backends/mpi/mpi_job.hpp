#pragma once
// What the CLI and the harness need to know about an MPI job, without MPI: this
// header has no MPI dependency, so it compiles and answers in every build. Before
// MPI_Init the launcher's environment tells the rank; once the mpi backend has
// initialised MPI it publishes the job here (ranks, hosts, start-up costs).

#include <unistd.h>

#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parbench::mpi {

/// The MPI job this process belongs to, published by the mpi backend once MPI is up.
struct job_info {
  int rank = 0;
  int ranks = 1;
  /// Host name of every rank, indexed by rank.
  std::vector<std::string> hosts;
  /// The CPUs every rank may use at start-up (what the launcher bound it to), "0-3,8", by rank.
  std::vector<std::string> cpu_sets;
  /// Thread support MPI granted (MPI_THREAD_* value).
  int thread_level = 0;
  /// Seconds spent in MPI_Init_thread, and in the first collective after it.
  double init_seconds = 0.0;
  double first_collective_seconds = 0.0;
  /// Library identification (MPI_Get_library_version, first line).
  std::string library;
};

namespace detail {
inline std::optional<job_info>& published_job() noexcept {
  static std::optional<job_info> job;
  return job;
}
using abort_function = void (*)(int code);
inline abort_function& abort_hook() noexcept {
  static abort_function hook = nullptr;
  return hook;
}
using serve_function = std::optional<int> (*)();
/// Set when the mpi backend is linked in (a static initialiser in mpi_backend.cpp).
inline serve_function& serve_hook() noexcept {
  static serve_function hook = nullptr;
  return hook;
}
inline std::optional<int> env_int(const char* name) noexcept {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > 1 << 30) return std::nullopt;
  return static_cast<int>(n);
}
}  // namespace detail

/// This process's rank as announced by an MPI launcher before MPI_Init (Open MPI's
/// mpirun, MPICH/Intel MPI hydra, MVAPICH, and PMI/PMIx launchers such as
/// `srun --mpi=pmix`); empty when no launcher started it. SLURM_PROCID alone does not
/// count: a batch script's own step has it too.
inline std::optional<int> launcher_rank() noexcept {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK"})
    if (auto r = detail::env_int(name)) return r;
  return std::nullopt;
}

/// The published job once MPI is initialised, else empty.
inline const std::optional<job_info>& current_job() noexcept { return detail::published_job(); }

/// Ranks that a run of `backend` spans: the job's ranks for "mpi" once MPI is up, else 1.
/// (`--workers W` is per rank for mpi: such a run uses ranks x W workers.)
inline unsigned ranks_of_backend(std::string_view backend) noexcept {
  const auto& job = current_job();
  return backend == "mpi" && job ? static_cast<unsigned>(job->ranks) : 1u;
}

/// Whether this process prints and writes reports: rank 0, or not part of an MPI job.
inline bool is_root_process() noexcept {
  if (const auto& job = current_job()) return job->rank == 0;
  return launcher_rank().value_or(0) == 0;
}

/// Sends stdout of every rank but rank 0 to /dev/null, so that a job prints one copy
/// of its results (stderr stays: a failing rank must be able to say why).
inline void silence_unless_root() noexcept {
  if (is_root_process()) return;
  std::fflush(stdout);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) return;
  ::dup2(null, STDOUT_FILENO);
  ::close(null);
}

/// Called first thing in main. Under an MPI launcher it starts MPI; then every rank but 0
/// serves rank 0 here: it runs its share of each `mpi` run rank 0 starts and never parses
/// its own arguments, so rank 0's command line is the job's. Returns the exit status for
/// those ranks once rank 0 is done; empty for rank 0, for a job of one rank, without a
/// launcher, and in a build without MPI.
inline std::optional<int> serve_unless_root() {
  if (auto hook = detail::serve_hook()) return hook();
  return std::nullopt;
}

/// Called on a failing exit: when other ranks could be waiting inside a collective,
/// ends every rank with `code` (MPI_Abort). No-op otherwise.
inline void abort_job_on_error(int code) noexcept {
  if (auto hook = detail::abort_hook()) hook(code);
}

}  // namespace parbench::mpi
