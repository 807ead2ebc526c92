// Device probing through the CUDA runtime API. The runtime is linked statically, so a
// machine without the NVIDIA driver (libcuda.so) still runs parbench: the runtime's first
// call returns an error, which becomes the reason the cuda backend is unavailable.

#include "backends/cuda/cuda_info.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include "backends/cuda/pi_kernel.hpp"
#include "core/errors.hpp"

namespace parbench::backends {
namespace {

std::string describe(cudaError_t e) { return fmt::format("{} ({})", cudaGetErrorName(e), cudaGetErrorString(e)); }

std::string driver_too_old(int driver, int runtime) {
  return fmt::format("driver too old (driver {} < runtime {}): update the NVIDIA driver", cuda_version_string(driver),
                     cuda_version_string(runtime));
}

// The reason for a failed cudaGetDeviceCount, in the terms a user can act on.
std::string reason_for(cudaError_t e, const gpu_device_info& info) {
  switch (e) {
    case cudaErrorNoDevice: return "no CUDA device (the driver sees no GPU; check CUDA_VISIBLE_DEVICES)";
    case cudaErrorInsufficientDriver:
      if (info.driver_version == 0) return "no CUDA device: no NVIDIA driver (libcuda.so) on this machine";
      return driver_too_old(info.driver_version, info.runtime_version);
    default: return fmt::format("CUDA initialisation failed: {}", describe(e));
  }
}

}  // namespace

std::string cuda_version_string(int version) { return fmt::format("{}.{}", version / 1000, (version % 1000) / 10); }

gpu_device_info cuda_device_info() {
  gpu_device_info info;
  info.built_architectures = PARBENCH_CUDA_ARCHITECTURES;
  // Both calls work without a driver: the driver version is then 0.
  cudaDriverGetVersion(&info.driver_version);
  cudaRuntimeGetVersion(&info.runtime_version);
  if (const cudaError_t e = cudaGetDeviceCount(&info.device_count); e != cudaSuccess) {
    info.device_count = 0;
    info.reason = reason_for(e, info);
    return info;
  }
  if (info.device_count == 0) {
    info.reason = "no CUDA device";
    return info;
  }
  // Minor-version compatibility lets a 13.x runtime run on any 13.y driver; a lower major does not.
  if (info.driver_version / 1000 < info.runtime_version / 1000) {
    info.reason = driver_too_old(info.driver_version, info.runtime_version);
    return info;
  }
  cudaDeviceProp prop{};
  if (const cudaError_t e = cudaGetDeviceProperties(&prop, 0); e != cudaSuccess) {
    info.reason = fmt::format("cannot query CUDA device 0: {}", describe(e));
    return info;
  }
  info.name = prop.name;
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.sm_count = prop.multiProcessorCount;
  info.memory_bytes = prop.totalGlobalMem;
  // The clock fields left cudaDeviceProp in CUDA 13; the attributes remain.
  cudaDeviceGetAttribute(&info.sm_clock_khz, cudaDevAttrClockRate, 0);
  cudaDeviceGetAttribute(&info.memory_clock_khz, cudaDevAttrMemoryClockRate, 0);
  if (const cudaError_t e = cudaSetDevice(0); e != cudaSuccess) {
    info.reason = fmt::format("cannot use CUDA device 0 ({}): {}", info.name, describe(e));
    return info;
  }
  detail::gpu_launch launch;
  if (const cudaError_t e = detail::gpu_launch_geometry(launch); e != cudaSuccess) {
    info.reason = e == cudaErrorNoKernelImageForDevice || e == cudaErrorInvalidDeviceFunction
                      ? fmt::format(
                            "{} has compute capability {}.{} but this build targets {}: reconfigure with "
                            "-DCMAKE_CUDA_ARCHITECTURES={}{}",
                            info.name, prop.major, prop.minor, info.built_architectures, prop.major, prop.minor)
                      : fmt::format("cannot set up the pi kernel on {}: {}", info.name, describe(e));
    return info;
  }
  info.blocks = launch.blocks;
  info.threads_per_block = launch.threads_per_block;
  info.registers_per_thread = launch.registers_per_thread;
  info.usable = true;
  return info;
}

std::vector<std::pair<std::string, std::string>> cuda_metadata(const gpu_device_info& info) {
  const auto mhz = [](int khz) { return fmt::format("{}", khz / 1000); };
  return {
      {"gpu_name", info.name},
      {"gpu_sm_count", fmt::format("{}", info.sm_count)},
      {"gpu_sm_clock_mhz", mhz(info.sm_clock_khz)},
      {"gpu_memory_clock_mhz", mhz(info.memory_clock_khz)},
      {"gpu_memory_gib", fmt::format("{:.1f}", static_cast<double>(info.memory_bytes) / (1024.0 * 1024 * 1024))},
      {"gpu_compute_capability", fmt::format("{}.{}", info.compute_major, info.compute_minor)},
      {"cuda_driver", info.driver_version == 0 ? "none" : cuda_version_string(info.driver_version)},
      {"cuda_runtime", cuda_version_string(info.runtime_version)},
      {"cuda_architectures", info.built_architectures},
      {"gpu_usable", info.usable ? "true" : "false"},
      {"gpu_unavailable_reason", info.reason},
  };
}

void cuda_create_context() {
  // cudaFree(nullptr) is the documented idiom that forces context creation.
  if (const cudaError_t e = cudaDeviceReset(); e != cudaSuccess)
    throw run_error(fmt::format("cuda: destroying the context failed: {}", describe(e)));
  if (const cudaError_t e = cudaFree(nullptr); e != cudaSuccess)
    throw run_error(fmt::format("cuda: creating the context failed: {}", describe(e)));
}

}  // namespace parbench::backends
