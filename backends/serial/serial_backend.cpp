// The reference: every chunk on the calling thread.

#include <memory>

#include "core/backend.hpp"

namespace parbench::backends {
namespace {

class serial_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "serial"; }
  std::string_view description() const noexcept override { return "one thread, no parallelism (the reference)"; }
  std::string_view mechanism() const noexcept override { return "function call"; }
  run_result run(const run_request& request) override {
    const chunk_range chunks = requested_chunks(request);
    return {kernels::count_hits(request.job, chunks.first, chunks.last), 1, 1, 0.0};
  }
  void start_empty(unsigned /*workers*/) override {}
};

}  // namespace

std::unique_ptr<backend> make_serial() { return std::make_unique<serial_backend>(); }

}  // namespace parbench::backends
