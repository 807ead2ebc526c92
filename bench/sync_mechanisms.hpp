#pragma once
// The bare synchronisation mechanisms a step-synchronised kernel's per-step cost is compared
// against (parbench_kernel_bench only).

namespace parbench::bench {

/// Registers with Google Benchmark, for W = 1 and 2 workers, real time, one iteration = one step
/// (each worker adds w + 1 to its own uint64 accumulator, the accumulators are summed exactly and
/// every worker waits for that sum before the next step; a wrong sum marks the run failed):
///   sync/openmp_barrier_reduction/W  an `omp for reduction` in one persistent parallel region
///                                    (only when built with OpenMP)
///   sync/openmp_barrier_reduction_after_delay/W  the same construct EPCC-style: after a fixed
///                                    delay on every thread, minus the delay alone
///   sync/std_barrier/W               persistent std::threads, a std::barrier that sums on completion
///   sync/pipe_round_trip/W           persistent forked children, a task and an answer per step
///                                    over one AF_UNIX socketpair each
///   sync/mpi_allreduce/1             MPI_Allreduce of one uint64 in a job of one rank
///                                    (only when the mpi backend is built)
/// Registered last on purpose: the MPI one initialises MPI, which stays up for the process.
void register_sync_mechanisms();

}  // namespace parbench::bench
