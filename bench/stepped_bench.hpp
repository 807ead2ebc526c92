#pragma once
// Each backend's synchronisation cost per step on the stepped kernel, the number compared
// against its model's bare mechanism (bench/sync_mechanisms.hpp; parbench_kernel_bench only).

namespace parbench::bench {

/// Steps of the stepped job each stepped/ benchmark runs; per step one 4096-point chunk per worker.
inline constexpr unsigned stepped_bench_steps = 200;

/// Registers with Google Benchmark, for W = 1 and 2 workers, `stepped/<backend>/W` for every
/// registered backend but mpi that runs the stepped kernel (supports_kernel) and whose probe()
/// says usable here (spawn only when PARBENCH_WORKER_EXE names the parbench binary). Each
/// repetition is one iteration: 100 pairs of runs, through the backend with its default
/// schedule, of the stepped job of stepped_bench_steps steps and its single-step equivalent (the
/// same chunks in one step), in alternating order; each pair gives (t_steps - t_1) / steps, and
/// the repetition's manual time is their median: the synchronisation cost per step. That raw
/// value, which noise can make negative, is the counter "us/step"; the manual time is clamped to
/// a tiny positive value. Before timing, both jobs' results through the backend must equal the
/// serial ones (compute), and every timed run's result is checked too. Skipped backends are
/// named on stderr.
void register_stepped_backends();

/// `stepped/mpi/W` as above. Register it after register_sync_mechanisms: it starts MPI in this
/// process (a job of one rank) before timing, so that each step's gather is an MPI collective as
/// in sync/mpi_allreduce, and no process backend may fork after that.
void register_stepped_mpi();

}  // namespace parbench::bench
