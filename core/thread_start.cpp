#include "core/thread_start.hpp"

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <vector>

#include "core/backend.hpp"
#include "core/errors.hpp"

namespace parbench {
namespace {

void* wait_for_release(void* release) {
  static_cast<std::atomic<bool>*>(release)->wait(false);
  return nullptr;
}

}  // namespace

void probe_thread_start(std::string_view backend, unsigned first, unsigned workers, std::size_t stack_bytes) {
  if (workers <= first) return;
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  if (stack_bytes > 0) ::pthread_attr_setstacksize(&attr, stack_bytes);
  std::atomic<bool> release{false};
  std::vector<pthread_t> threads;
  threads.reserve(workers - first);
  int error = 0;
  for (unsigned w = first; w < workers && error == 0; ++w) {
    pthread_t t{};
    error = ::pthread_create(&t, &attr, &wait_for_release, &release);
    if (error == 0) threads.push_back(t);
  }
  ::pthread_attr_destroy(&attr);
  release.store(true);
  release.notify_all();
  for (const pthread_t t : threads) ::pthread_join(t, nullptr);
  if (error != 0)
    throw run_error(
        worker_start_failure(backend, static_cast<unsigned>(first + threads.size()), workers, std::strerror(error)));
}

}  // namespace parbench
