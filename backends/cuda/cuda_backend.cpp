// CUDA: the whole job as one grid-stride kernel on GPU 0; the stream is the CPU's
// (pi_slice.hpp), so the hit count is the serial one. Device code exists for the pi kernel
// only: abilities() says so, and run() refuses any other kernel as a usage error.

#include <cuda_runtime_api.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <optional>

#include "backends/cuda/cuda_info.hpp"
#include "backends/cuda/pi_kernel.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench::backends {
namespace {

// The pi kernel's job as the device code takes it (kernels/pi: size = samples, param rng).
kernels::pi_job pi_job_of(const job_spec& spec) {
  return {spec.size, spec.seed, kernels::parse_rng(param(spec, "rng"))};
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw run_error(fmt::format("cuda: {} failed on GPU 0: {} ({})", what, cudaGetErrorName(e), cudaGetErrorString(e)));
}

class cuda_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "cuda"; }
  std::string_view description() const noexcept override {
    return "CUDA grid-stride kernel on GPU 0, same Philox/light stream as the CPU";
  }
  std::string_view mechanism() const noexcept override { return "CUDA empty kernel launch + synchronise"; }
  std::string_view setup_mechanism() const noexcept override { return "CUDA context creation"; }

  void setup() override {
    require_usable();
    cuda_create_context();
  }

  std::vector<std::pair<std::string, std::string>> metadata() const override { return cuda_metadata(device()); }

  availability probe() const override {
    const gpu_device_info& info = device();
    return {info.usable, info.reason};
  }

  backend_abilities abilities() const override {
    backend_abilities a;
    a.style = backend_style{"#bcbd22", "p"};
    a.schedules = {{"grid-stride", "one grid-stride kernel over the chunks' slices on GPU 0", false, true}};
    a.honours_subranges = true;
    a.nestable = false;
    a.kernels = {"pi"};
    a.exact_workers = false;
    return a;
  }

  // The model decides: one worker per device (request.workers does not apply).
  run_result run(const run_request& request) override {
    const backend_abilities a = abilities();
    (void)resolve_schedule(name(), a, request.schedule);
    const job_spec& spec = request.job->spec();
    if (!supports_kernel(a, spec.kernel))
      throw usage_error(fmt::format("cuda: kernel {} is not supported by this backend (device code exists for: {})",
                                    spec.kernel, fmt::join(a.kernels, ", ")));
    require_usable();
    const chunk_range chunks = requested_chunks(request);
    std::uint64_t hits = 0;
    check(detail::gpu_count_hits(pi_job_of(spec), chunks.first, chunks.last, hits), "the pi kernel");
    return {{hits}, 1, 1, 0.0};
  }

  void start_empty(unsigned /*workers*/) override {
    require_usable();
    check(detail::gpu_empty_launch(), "an empty kernel launch");
  }

 private:
  // Probed once per instance: the answer cannot change while the process runs.
  const gpu_device_info& device() const {
    if (!device_) device_ = cuda_device_info();
    return *device_;
  }
  void require_usable() const {
    if (!device().usable) throw usage_error(fmt::format("backend 'cuda' is unavailable: {}", device().reason));
  }

  mutable std::optional<gpu_device_info> device_;
};

}  // namespace

std::unique_ptr<backend> make_cuda() { return std::make_unique<cuda_backend>(); }

}  // namespace parbench::backends
