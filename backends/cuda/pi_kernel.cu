// The CUDA pi kernel: a grid-stride loop over slices (pi_slice.hpp), so the GPU draws
// exactly the samples of the CPU's chunk layout. Integers only: 32-bit per-thread counts,
// 64-bit per-block partial sums, and an exact 64-bit total on the host.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backends/cuda/pi_kernel.hpp"
#include "backends/cuda/pi_slice.hpp"

namespace parbench::backends::detail {
namespace {

constexpr unsigned block_threads = 256;
constexpr unsigned warps_per_block = block_threads / 32;

// Adds the block's total to its own slot: blocks never share a slot, and launches on one
// stream run in order, so plain 64-bit adds are exact without atomics.
__device__ void add_block_total(std::uint32_t hits, unsigned long long* slot) {
  __shared__ unsigned long long warp_totals[warps_per_block];
  unsigned long long v = hits;
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  if (threadIdx.x % 32 == 0) warp_totals[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long total = 0;
    for (unsigned w = 0; w < warps_per_block; ++w) total += warp_totals[w];
    *slot += total;
  }
}

template <kernels::rng_kind Rng>
__global__ void __launch_bounds__(block_threads)
    pi_kernel(kernels::pi_job job, std::uint64_t first_slice, std::uint64_t last_slice, unsigned long long* partials) {
  const std::uint32_t hits =
      grid_stride_hits<Rng>(job, first_slice, last_slice, std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x,
                            std::uint64_t{gridDim.x} * blockDim.x);
  add_block_total(hits, partials + blockIdx.x);
}

__global__ void empty_kernel() {}

// Device memory released on every path out of a run.
class device_buffer {
 public:
  cudaError_t allocate(std::size_t count) {
    return cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(*data_));
  }
  ~device_buffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  unsigned long long* get() const { return data_; }

 private:
  unsigned long long* data_ = nullptr;
};

template <kernels::rng_kind Rng>
cudaError_t geometry_of(gpu_launch& out) {
  int device = 0, sms = 0, per_sm = 0;
  cudaFuncAttributes attributes{};
  if (auto e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (auto e = cudaFuncGetAttributes(&attributes, pi_kernel<Rng>); e != cudaSuccess) return e;
  if (auto e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device); e != cudaSuccess) return e;
  if (auto e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, pi_kernel<Rng>, block_threads, 0);
      e != cudaSuccess)
    return e;
  out.blocks = static_cast<unsigned>(std::max(1, sms) * std::max(1, per_sm));
  out.threads_per_block = block_threads;
  out.registers_per_thread = attributes.numRegs;
  return cudaSuccess;
}

template <kernels::rng_kind Rng>
cudaError_t count_hits_with(const kernels::pi_job& job, std::uint64_t first_chunk, std::uint64_t last_chunk,
                            std::uint64_t& hits, std::uint64_t slices_per_launch) {
  hits = 0;
  const auto [begin, end] = slices_of_chunks(job, first_chunk, last_chunk);
  if (begin == end) return cudaSuccess;
  gpu_launch launch;
  if (auto e = geometry_of<Rng>(launch); e != cudaSuccess) return e;
  // Small jobs: no more blocks than there are slices to hand out.
  const std::uint64_t needed_blocks = (end - begin + block_threads - 1) / block_threads;
  const auto blocks = static_cast<unsigned>(std::min<std::uint64_t>(launch.blocks, needed_blocks));
  const std::uint64_t threads = std::uint64_t{blocks} * block_threads;
  const std::uint64_t per_launch = max_slices_per_launch(threads, slices_per_launch);

  device_buffer partials;
  if (auto e = partials.allocate(blocks); e != cudaSuccess) return e;
  if (auto e = cudaMemset(partials.get(), 0, blocks * sizeof(unsigned long long)); e != cudaSuccess) return e;
  for (std::uint64_t first = begin; first < end; first += per_launch) {
    pi_kernel<Rng><<<blocks, block_threads>>>(job, first, first + std::min(end - first, per_launch), partials.get());
    if (auto e = cudaGetLastError(); e != cudaSuccess) return e;
  }
  std::vector<unsigned long long> totals(blocks);
  if (auto e = cudaMemcpy(totals.data(), partials.get(), blocks * sizeof(unsigned long long), cudaMemcpyDeviceToHost);
      e != cudaSuccess)
    return e;
  for (unsigned long long t : totals) hits += t;
  return cudaSuccess;
}

}  // namespace

cudaError_t gpu_launch_geometry(gpu_launch& out) { return geometry_of<kernels::rng_kind::philox>(out); }

cudaError_t gpu_count_hits(const kernels::pi_job& job, std::uint64_t first_chunk, std::uint64_t last_chunk,
                           std::uint64_t& hits, std::uint64_t slices_per_launch) {
  return job.rng == kernels::rng_kind::philox
             ? count_hits_with<kernels::rng_kind::philox>(job, first_chunk, last_chunk, hits, slices_per_launch)
             : count_hits_with<kernels::rng_kind::light>(job, first_chunk, last_chunk, hits, slices_per_launch);
}

cudaError_t gpu_empty_launch() {
  empty_kernel<<<1, 1>>>();
  if (auto e = cudaGetLastError(); e != cudaSuccess) return e;
  return cudaDeviceSynchronize();
}

}  // namespace parbench::backends::detail
