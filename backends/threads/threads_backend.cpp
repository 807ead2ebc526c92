// std::thread: exactly W threads, each running a contiguous block of chunks.

#include <fmt/format.h>

#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/partition.hpp"

namespace parbench::backends {
namespace {

// Starts one thread per body, joins all of them even when a start fails.
template <typename Body>
void run_threads(unsigned workers, Body body) {
  std::vector<std::thread> threads;
  threads.reserve(workers);
  try {
    for (unsigned w = 0; w < workers; ++w) threads.emplace_back(body, w);
  } catch (const std::system_error& e) {
    for (auto& t : threads) t.join();
    throw run_error(fmt::format("threads: could not start worker {} of {}: {}", threads.size(), workers, e.what()));
  }
  for (auto& t : threads) t.join();
}

class threads_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "threads"; }
  std::string_view description() const noexcept override {
    return "std::thread, exactly W threads, static block split";
  }
  std::string_view mechanism() const noexcept override { return "std::thread create + join"; }

  run_result run(const run_request& request) override {
    const chunk_range all = requested_chunks(request);
    const auto chunks = all.last - all.first;
    std::vector<std::uint64_t> hits(request.workers, 0);
    run_threads(request.workers, [&](unsigned w) {
      const chunk_range r = partition(chunks, request.workers, w);
      hits[w] = kernels::count_hits(request.job, all.first + r.first, all.first + r.last);
    });
    run_result result;
    result.workers_started = request.workers;
    for (unsigned w = 0; w < request.workers; ++w) {
      result.hits += hits[w];
      if (!partition(chunks, request.workers, w).empty()) ++result.workers_used;
    }
    return result;
  }

  void start_empty(unsigned workers) override {
    run_threads(workers, [](unsigned) {});
  }
};

}  // namespace

std::unique_ptr<backend> make_threads() { return std::make_unique<threads_backend>(); }

}  // namespace parbench::backends
