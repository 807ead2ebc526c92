#include "backends/process/supervise.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "backends/process/child.hpp"
#include "backends/process/unique_fd.hpp"
#include "core/errors.hpp"
#include "core/partition.hpp"

namespace parbench::process {
namespace {

using clock = std::chrono::steady_clock;

struct slot {
  unsigned worker = 0;
  child_process child;
  unique_fd result;
  // One byte more than a message, so that an over-long answer is seen as such.
  char buffer[sizeof(result_message) + 1] = {};
  std::size_t got = 0;
  bool has_chunks = false;
};

// Kills every child first so that they die in parallel, then reaps them all.
void stop_all(std::vector<slot>& slots) noexcept {
  for (auto& s : slots) s.child.kill();
  for (auto& s : slots) s.child.kill_and_reap();
}

[[noreturn]] void fail(std::string_view backend, std::vector<slot>& slots, const std::string& what) {
  stop_all(slots);
  throw run_error(fmt::format("{}: {}; the other workers were stopped", backend, what));
}

std::string worker_label(const slot& s, unsigned workers) {
  return fmt::format("worker {} of {} (pid {})", s.worker, workers, s.child.pid());
}

std::string status_hint(int status) {
  const exit_info info{status, 0.0};
  if (info.success()) return {};
  std::string text = describe_status(status);
  if (WIFEXITED(status) && WEXITSTATUS(status) == worker_status_kernel_failed) return text + " (its kernel failed)";
  if (WIFEXITED(status) && WEXITSTATUS(status) == worker_status_write_failed)
    return text + " (it could not send its result)";
  return text;
}

// The error in a finished worker's answer, or nothing when it is a valid result.
std::optional<std::string> check_answer(const slot& s, int status) {
  if (!exit_info{status, 0.0}.success()) return status_hint(status);
  if (s.got < sizeof(result_message))
    return fmt::format("sent a short result ({} of {} bytes)", s.got, sizeof(result_message));
  if (s.got > sizeof(result_message))
    return fmt::format("sent a garbled result (more than {} bytes)", sizeof(result_message));
  result_message m;
  std::memcpy(&m, s.buffer, sizeof m);
  if (m.magic != result_magic || m.worker != s.worker)
    return fmt::format("sent a garbled result (magic {:#x}, worker {})", m.magic, m.worker);
  return std::nullopt;
}

// Every running worker holds one pipe descriptor here; with W up to 1024 the common soft limit
// of 1024 is too small, so raise it (never beyond the hard limit) when a run needs more.
void ensure_descriptors(unsigned workers) noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = workers + rlim_t{256};
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

double to_seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

}  // namespace

pid_t fork_worker(const assignment& a, int result_fd) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    throw run_error(fmt::format("could not start worker {}: fork() failed: {}{}", a.worker, std::strerror(err),
                                err == EAGAIN   ? " (process limit reached: lower --workers or raise `ulimit -u`)"
                                : err == ENOMEM ? " (out of memory)"
                                                : ""));
  }
  if (pid == 0) {
    bind_to_parent(parent);
    run_worker(a, result_fd);
  }
  return pid;
}

process_outcome run_process_workers(std::string_view backend, const process_plan& plan, const launcher& launch) {
  const unsigned workers = plan.workers;
  ensure_descriptors(workers);
  const std::uint64_t chunks = plan.empty ? 0 : plan.chunks.last - plan.chunks.first;
  std::vector<slot> slots(workers);
  unsigned started = 0;
  try {
    for (unsigned w = 0; w < workers; ++w) {
      const chunk_range range = partition(chunks, workers, w);
      assignment a{plan.job, plan.chunks.first + range.first, plan.chunks.first + range.last, w, fault_mode::none};
      if (plan.fault.mode != fault_mode::none && plan.fault.worker == w) a.fault = plan.fault.mode;
      if (a.fault == fault_mode::start)
        throw run_error(
            fmt::format("could not start worker {}: {} (injected by PARBENCH_FAULT)", w, std::strerror(EAGAIN)));
      pipe_fds pipe = make_pipe();
      slot& s = slots[w];
      s.worker = w;
      s.has_chunks = !range.empty();
      s.child = child_process(launch(a, pipe.write.get()));
      s.result = std::move(pipe.read);
      ++started;
    }
  } catch (const run_error& e) {
    stop_all(slots);
    throw run_error(fmt::format("{}: {}; {} already started {} stopped", backend, e.what(),
                                started == 1 ? "the 1 worker" : fmt::format("the {} workers", started),
                                started == 1 ? "was" : "were"));
  }

  const bool timed = plan.timeout.count() > 0;
  const clock::time_point deadline = clock::now() + plan.timeout;
  process_outcome outcome;
  std::vector<pollfd> fds;
  std::vector<slot*> open;
  fds.reserve(workers);
  open.reserve(workers);
  for (auto& s : slots) open.push_back(&s);

  while (!open.empty()) {
    int wait_ms = -1;
    if (timed) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) {
        const std::string others = open.size() > 1 ? fmt::format(" (and {} more)", open.size() - 1) : "";
        fail(backend, slots,
             fmt::format("{}{} did not answer within the timeout of {} s and was killed",
                         worker_label(*open.front(), workers), others, to_seconds(plan.timeout)));
      }
      wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    fds.clear();
    for (const slot* s : open) fds.push_back({s->result.get(), POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail(backend, slots, fmt::format("waiting for results failed: poll: {}", std::strerror(errno)));
    }
    std::size_t keep = 0;
    for (std::size_t i = 0; i < open.size(); ++i) {
      slot& s = *open[i];
      bool finished = false;
      if (fds[i].revents != 0) {
        const ssize_t n = ::read(s.result.get(), s.buffer + s.got, sizeof s.buffer - s.got);
        if (n > 0) {
          s.got += static_cast<std::size_t>(n);
          if (s.got == sizeof s.buffer)
            fail(backend, slots,
                 fmt::format("{} sent a garbled result (more than {} bytes)", worker_label(s, workers),
                             sizeof(result_message)));
        } else if (n == 0) {
          finished = true;
        } else if (errno != EINTR && errno != EAGAIN) {
          fail(backend, slots,
               fmt::format("reading the result of {} failed: {}", worker_label(s, workers), std::strerror(errno)));
        }
      }
      if (!finished) {
        open[keep++] = open[i];
        continue;
      }
      // End of file: the worker is exiting. Reap it (within the deadline) and check its answer.
      const std::string label = worker_label(s, workers);
      s.result.reset();
      std::optional<exit_info> info;
      if (!timed) {
        info = s.child.wait();
      } else {
        while (!(info = s.child.try_wait()) && clock::now() < deadline) {
          const timespec pause{0, 50'000};
          ::nanosleep(&pause, nullptr);
        }
        if (!info)
          fail(backend, slots,
               fmt::format("{} closed its result pipe but did not exit within the timeout of {} s and was killed",
                           label, to_seconds(plan.timeout)));
      }
      outcome.cpu_seconds += info->cpu_seconds;
      if (const auto problem = check_answer(s, info->status)) fail(backend, slots, label + " " + *problem);
      result_message m;
      std::memcpy(&m, s.buffer, sizeof m);
      outcome.hits += m.hits;
      if (s.has_chunks) ++outcome.workers_used;
    }
    open.resize(keep);
  }
  return outcome;
}

}  // namespace parbench::process
