#include "core/thread_start.hpp"

#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench {

void probe_thread_start(std::string_view backend, unsigned first, unsigned workers) {
  if (workers <= first) return;
  std::atomic<bool> release{false};
  std::vector<std::thread> threads;
  threads.reserve(workers - first);
  const auto join_all = [&] {
    release.store(true);
    release.notify_all();
    for (auto& t : threads) t.join();
  };
  try {
    for (unsigned w = first; w < workers; ++w) threads.emplace_back([&release] { release.wait(false); });
  } catch (const std::system_error& e) {
    const auto failed = static_cast<unsigned>(first + threads.size());
    join_all();
    throw run_error(worker_start_failure(backend, failed, workers, e.code().message()));
  }
  join_all();
}

}  // namespace parbench
