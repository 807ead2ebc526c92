#pragma once
// What parbench knows about the GPU: the cuda backend's availability probe, the device
// description recorded in report metadata, and the context set-up the harness times.

#include <string>
#include <utility>
#include <vector>

namespace parbench::backends {

/// Device 0 as the CUDA runtime reports it, or why the cuda backend cannot run here.
struct gpu_device_info {
  bool usable = false;
  std::string reason;  ///< why not usable ("no CUDA device", "driver too old (...)"); empty when usable
  int device_count = 0;
  int driver_version = 0;   ///< CUDA version the driver supports (12040 = 12.4); 0 = no driver
  int runtime_version = 0;  ///< CUDA runtime linked into parbench (13000 = 13.0)
  std::string name;         ///< e.g. "NVIDIA H200"
  int compute_major = 0;
  int compute_minor = 0;
  int sm_count = 0;
  int sm_clock_khz = 0;      ///< peak SM clock
  int memory_clock_khz = 0;  ///< peak memory clock
  unsigned long long memory_bytes = 0;
  unsigned blocks = 0;  ///< blocks the pi kernel launches on a full device
  unsigned threads_per_block = 0;
  int registers_per_thread = 0;
  std::string built_architectures;  ///< CMAKE_CUDA_ARCHITECTURES of this binary, e.g. "80;90"
};

/// Queries the CUDA runtime and device 0. Never throws and never crashes for a missing GPU
/// or driver: `usable` is false and `reason` says why. Creates the CUDA context when a
/// device is present (the first call in a process takes tens to hundreds of milliseconds).
gpu_device_info cuda_device_info();

/// `info` as ordered (key, value) pairs for report metadata: gpu_name, gpu_sm_count,
/// gpu_sm_clock_mhz, gpu_memory_clock_mhz, gpu_memory_gib, gpu_compute_capability,
/// cuda_driver, cuda_runtime, cuda_architectures, gpu_usable, gpu_unavailable_reason.
std::vector<std::pair<std::string, std::string>> cuda_metadata(const gpu_device_info& info);

/// "13.0" for 13000: the CUDA version notation of the runtime API.
std::string cuda_version_string(int version);

/// Destroys this process's CUDA context on device 0 and creates a fresh one; blocking.
/// The harness times it as the cuda backend's "context creation" start-up cost (the
/// backend's start_empty() is the other one: an empty kernel launch + synchronise).
/// Precondition: cuda_device_info().usable (not re-checked, so that only the context is
/// timed). Throws run_error when the runtime fails. With the default lazy module loading,
/// the kernels themselves load at the first launch after this call.
void cuda_create_context();

}  // namespace parbench::backends
