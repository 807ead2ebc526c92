#include "backends/process/forkserver.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "backends/process/child.hpp"
#include "backends/process/unique_fd.hpp"
#include "core/errors.hpp"

namespace parbench::process {
namespace {

constexpr std::uint32_t request_magic = 0x51534650;  // "PFSQ"
constexpr std::uint32_t reply_magic = 0x52534650;    // "PFSR"

struct request_wire {
  std::uint32_t magic = request_magic;
  std::uint32_t workers = 0;
  std::uint64_t samples = 0;
  std::uint64_t seed = 0;
  std::uint64_t first_chunk = 0;
  std::uint64_t last_chunk = 0;
  std::uint32_t rng = 0;
  std::uint32_t empty = 0;
  std::int64_t timeout_ms = 0;
  std::uint32_t fault_worker = 0;
  std::uint32_t fault_mode = 0;
};

struct reply_wire {
  std::uint32_t magic = reply_magic;
  std::uint32_t ok = 0;
  std::uint64_t hits = 0;
  double cpu_seconds = 0;
  std::uint32_t workers_used = 0;
  char message[2044] = {};
};

// Plain data only: the atexit handler and forked children must not depend on destructors.
struct server_state {
  pid_t pid = -1;
  int fd = -1;
  pid_t owner = -1;  // the process that started the server (forked copies must not stop it)
  bool atexit_registered = false;
};

server_state state;
std::mutex state_mutex;

[[noreturn]] void serve(int fd) noexcept {
  for (;;) {
    request_wire request;
    ssize_t n = 0;
    do n = ::recv(fd, &request, sizeof request, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0) ::_exit(0);  // parbench closed its end or exited
    if (n != static_cast<ssize_t>(sizeof request) || request.magic != request_magic) ::_exit(2);
    reply_wire reply;
    try {
      process_plan plan;
      plan.job = {request.samples, request.seed,
                  request.rng == 0 ? kernels::rng_kind::philox : kernels::rng_kind::light};
      plan.chunks = {request.first_chunk, request.last_chunk};
      plan.workers = request.workers;
      plan.timeout = std::chrono::milliseconds(request.timeout_ms);
      plan.fault = {request.fault_worker, static_cast<fault_mode>(request.fault_mode)};
      plan.empty = request.empty != 0;
      const process_outcome outcome = run_process_workers("forkserver", plan, &fork_worker);
      reply.ok = 1;
      reply.hits = outcome.hits;
      reply.workers_used = outcome.workers_used;
      reply.cpu_seconds = outcome.cpu_seconds;
    } catch (const std::exception& e) {
      const std::size_t len = std::min(std::strlen(e.what()), sizeof reply.message - 1);
      std::memcpy(reply.message, e.what(), len);
    }
    if (::send(fd, &reply, sizeof reply, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof reply)) ::_exit(0);
  }
}

void start_locked() {
  if (state.pid > 0 && state.owner == ::getpid()) return;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw run_error(fmt::format("forkserver: could not create its socket: {}", std::strerror(errno)));
  unique_fd mine(sv[0]), theirs(sv[1]);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw run_error(fmt::format("forkserver: could not start the server: fork() failed: {}", std::strerror(errno)));
  if (pid == 0) {
    bind_to_parent(parent);
    // Ctrl-C and kill reach the server like any other process; it has no handlers of its own.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    mine.reset();
    serve(theirs.get());
  }
  state.pid = pid;
  state.fd = mine.release();
  state.owner = parent;
  if (!state.atexit_registered) state.atexit_registered = std::atexit(&stop_forkserver) == 0;
}

// Reaps a server that died or must be abandoned; returns how it ended.
std::string drop_server_locked(bool kill_it) {
  if (state.fd >= 0) ::close(state.fd);
  state.fd = -1;
  child_process server(state.pid);
  state.pid = -1;
  if (kill_it) server.kill();
  return describe_status(server.wait().status);
}

[[noreturn]] void server_failed(const std::string& what, bool kill_it) {
  const std::string how = drop_server_locked(kill_it);
  throw run_error(fmt::format("forkserver: {} (the server {}); it is restarted on the next run", what, how));
}

}  // namespace

void start_forkserver() {
  const std::lock_guard lock(state_mutex);
  start_locked();
}

pid_t forkserver_pid() noexcept {
  const std::lock_guard lock(state_mutex);
  return state.owner == ::getpid() ? state.pid : -1;
}

void stop_forkserver() noexcept {
  // A run in flight on another thread at exit keeps the lock; the server then ends by end of
  // file or PR_SET_PDEATHSIG when this process is gone.
  const std::unique_lock lock(state_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return;
  if (state.pid <= 0 || state.owner != ::getpid()) return;
  ::close(state.fd);
  state.fd = -1;
  // At end of file the server exits by itself; this waits for that, it does not kill.
  child_process server(state.pid);
  state.pid = -1;
  server.wait();
}

process_outcome run_on_forkserver(const process_plan& plan) {
  const std::lock_guard lock(state_mutex);
  request_wire request;
  request.workers = plan.workers;
  request.samples = plan.job.samples;
  request.seed = plan.job.seed;
  request.first_chunk = plan.chunks.first;
  request.last_chunk = plan.chunks.last;
  request.rng = plan.job.rng == kernels::rng_kind::philox ? 0 : 1;
  request.empty = plan.empty ? 1 : 0;
  request.timeout_ms = plan.timeout.count();
  request.fault_worker = plan.fault.worker;
  request.fault_mode = static_cast<std::uint32_t>(plan.fault.mode);

  // A server that died before it could answer (killed since the last run, or its starting
  // thread ended) is restarted and asked once more: a run is pure computation, so a repeat is safe.
  reply_wire reply;
  for (int attempt = 0;; ++attempt) {
    const bool last = attempt > 0;
    start_locked();
    ssize_t sent = 0;
    do sent = ::send(state.fd, &request, sizeof request, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent != static_cast<ssize_t>(sizeof request)) {
      const int err = errno;
      if (!last && (err == EPIPE || err == ECONNRESET)) {
        drop_server_locked(true);
        continue;
      }
      server_failed(fmt::format("sending the request failed: {}", std::strerror(err)), true);
    }
    // The server enforces the run's timeout itself; this guard only catches a server that hangs.
    const int wait_ms =
        plan.timeout.count() > 0 ? static_cast<int>(std::min<long long>(plan.timeout.count() + 10'000, 1 << 30)) : -1;
    pollfd pfd{state.fd, POLLIN, 0};
    int ready = 0;
    do ready = ::poll(&pfd, 1, wait_ms);
    while (ready < 0 && errno == EINTR);
    if (ready == 0) server_failed("the server did not reply within the run's timeout plus 10 s", true);
    ssize_t n = 0;
    do n = ::recv(state.fd, &reply, sizeof reply, 0);
    while (n < 0 && errno == EINTR);
    const bool died = n == 0 || (n < 0 && errno == ECONNRESET);
    if (died && !last) {
      drop_server_locked(true);
      continue;
    }
    if (died) server_failed("the server ended during the run", false);
    if (n != static_cast<ssize_t>(sizeof reply) || reply.magic != reply_magic)
      server_failed(n < 0 ? fmt::format("reading the reply failed: {}", std::strerror(errno))
                          : std::string("the server sent a garbled reply"),
                    true);
    break;
  }
  if (reply.ok == 0) {
    reply.message[sizeof reply.message - 1] = '\0';
    throw run_error(reply.message);
  }
  return {reply.hits, reply.workers_used, reply.cpu_seconds};
}

}  // namespace parbench::process
