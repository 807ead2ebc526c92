#pragma once
// Host entry points of the CUDA pi kernel (pi_kernel.cu). Plain C++ so that the backend
// (compiled by the host compiler) never sees device code. All functions act on the
// calling thread's current device, are blocking, and report failures as cudaError_t.

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/montecarlo/sampler.hpp"

namespace parbench::backends::detail {

/// The geometry a run uses: a grid-stride loop over slices with `blocks` x `threads_per_block`.
struct gpu_launch {
  unsigned blocks = 0;
  unsigned threads_per_block = 0;
  int registers_per_thread = 0;  ///< of the Philox kernel, for the docs and diagnostics
};

/// Checks that this binary holds code the current device can run (cudaErrorNoKernelImageForDevice
/// otherwise) and returns the launch geometry for a full device.
cudaError_t gpu_launch_geometry(gpu_launch& out);

/// Slices one kernel launch covers at most: 2^36 samples, ~0.1 s at the target rate, so no
/// launch runs into a display watchdog and errors surface promptly; a launch costs microseconds.
inline constexpr std::uint64_t default_slices_per_launch = std::uint64_t{1} << 30;

/// Sets `hits` to the exact hit count of chunks [first_chunk, last_chunk) of `job`, i.e.
/// kernels::count_hits(job, first_chunk, last_chunk). Per-thread counts are 32-bit, per-block
/// partial sums 64-bit integers added on the host. Long jobs take several launches of at
/// most `slices_per_launch` slices (tests lower it to exercise that).
cudaError_t gpu_count_hits(const kernels::pi_job& job, std::uint64_t first_chunk, std::uint64_t last_chunk,
                           std::uint64_t& hits, std::uint64_t slices_per_launch = default_slices_per_launch);

/// Launches an empty kernel and waits for it.
cudaError_t gpu_empty_launch();

}  // namespace parbench::backends::detail
