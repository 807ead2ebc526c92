#include "backends/process/forkserver.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>

#include "backends/process/child.hpp"
#include "backends/process/unique_fd.hpp"
#include "core/errors.hpp"
#include "core/job_codec.hpp"
#include "core/shared_region.hpp"
#include "kernels/registry.hpp"

namespace parbench::process {
namespace {

constexpr std::uint32_t request_magic = 0x51534650;  // "PFSQ"
constexpr std::uint32_t reply_magic = 0x52534650;    // "PFSR"
// An error text in a reply is cut to this many bytes (a message must fit the socket buffer).
constexpr std::size_t max_error_text = 4096;

// A request: the plan, through the job codec.
std::string encode_request(const process_plan& plan) {
  codec::writer w;
  w.u32(plan.workers);
  w.u32(plan.job ? 1 : 0);
  w.spec(plan.job ? plan.job->spec() : job_spec{});
  w.u64(plan.chunks.first);
  w.u64(plan.chunks.last);
  w.u64(static_cast<std::uint64_t>(plan.timeout.count()));
  w.u32(plan.fault.worker);
  w.u32(static_cast<std::uint32_t>(plan.fault.mode));
  w.u32(plan.dynamic ? 1 : 0);
  w.u64(plan.grain);
  w.u32(static_cast<std::uint32_t>(plan.cpus.size()));
  for (const int cpu : plan.cpus) w.u32(static_cast<std::uint32_t>(cpu));
  return w.finish(request_magic);
}

// The server's side: rebuilds the job (throws usage_error when it does not bind, codec_error
// when the message is garbled).
process_plan decode_request(std::string_view message) {
  codec::reader r(message, request_magic);
  process_plan plan;
  plan.workers = r.u32();
  const bool has_job = r.u32() != 0;
  const job_spec spec = r.spec();
  plan.chunks.first = r.u64();
  plan.chunks.last = r.u64();
  plan.timeout = std::chrono::milliseconds(static_cast<long long>(r.u64()));
  plan.fault.worker = r.u32();
  const std::uint32_t mode = r.u32();
  plan.dynamic = r.u32() != 0;
  plan.grain = r.u64();
  const std::uint32_t pinned = r.u32();
  if (pinned != 0 && pinned != plan.workers) throw codec::codec_error("a pinning plan for another worker count");
  for (std::uint32_t i = 0; i < pinned; ++i) {
    const std::uint32_t cpu = r.u32();
    if (cpu > static_cast<std::uint32_t>(std::numeric_limits<int>::max())) throw codec::codec_error("CPU out of range");
    plan.cpus.push_back(static_cast<int>(cpu));
  }
  r.finish();
  if (mode > static_cast<std::uint32_t>(fault_mode::start)) throw codec::codec_error("unknown fault mode");
  plan.fault.mode = static_cast<fault_mode>(mode);
  if (plan.workers < 1 || plan.workers > max_workers) throw codec::codec_error("worker count out of range");
  if (plan.chunks.first > plan.chunks.last) throw codec::codec_error("chunk range ends before it starts");
  if (has_job) {
    plan.job = make_job(spec);
    if (plan.chunks.last > plan.job->chunk_count()) throw codec::codec_error("chunks beyond the job");
  }
  return plan;
}

std::string encode_reply(const process_outcome* outcome, std::string_view error) {
  codec::writer w;
  w.u32(outcome != nullptr ? 1 : 0);
  w.words(outcome != nullptr ? outcome->result : result_words{});
  w.u32(outcome != nullptr ? outcome->workers_used : 0);
  w.u64(std::bit_cast<std::uint64_t>(outcome != nullptr ? outcome->cpu_seconds : 0.0));
  w.str(error.substr(0, max_error_text));
  return w.finish(reply_magic);
}

// One message from a SOCK_SEQPACKET socket into `out`: its length, 0 at end of file, -1 on an
// error (errno set). A message longer than codec::max_message is dropped and reads as -1 with
// errno EMSGSIZE. A descriptor sent with it (SCM_RIGHTS: the job's shared memory) goes to
// `passed` when given, else it is closed; -1 when none came.
ssize_t receive_message(int fd, std::string& out, int* passed = nullptr) {
  if (passed != nullptr) *passed = -1;
  ssize_t n = 0;
  do n = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  const bool too_long = static_cast<std::size_t>(n) > codec::max_message;
  out.resize(too_long ? 1 : static_cast<std::size_t>(n));
  iovec io{out.data(), out.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  do n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n >= 0 && c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int got = -1;
    std::memcpy(&got, CMSG_DATA(c), sizeof got);
    if (passed != nullptr && *passed < 0) {
      *passed = got;
    } else {
      ::close(got);
    }
  }
  if (n > 0 && too_long) {
    errno = EMSGSIZE;
    return -1;
  }
  return n;
}

// Sends `message`, and the descriptor `fd` with it when it is not -1 (SCM_RIGHTS).
ssize_t send_message(int socket, const std::string& message, int fd) {
  iovec io{const_cast<char*>(message.data()), message.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t sent = 0;
  do sent = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  return sent;
}

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
  std::string request;
  for (;;) {
    int memory = -1;
    const ssize_t n = receive_message(fd, request, &memory);
    if (n == 0) ::_exit(0);  // parbench closed its end or exited
    if (n < 0) ::_exit(2);
    std::string reply;
    try {
      try {
        // The job's shared memory, if it has any: the job built here maps it, and the workers
        // forked from here inherit that mapping.
        (void)adopt_region_fd(memory);
        process_plan plan;
        try {
          plan = decode_request(request);
        } catch (...) {
          if (const int unused = adopt_region_fd(-1); unused >= 0) ::close(unused);
          throw;
        }
        if (const int unused = adopt_region_fd(-1); unused >= 0) ::close(unused);
        const process_outcome outcome = run_process_workers("forkserver", plan, &fork_worker);
        reply = encode_reply(&outcome, {});
      } catch (const codec::codec_error& e) {
        reply = encode_reply(nullptr, fmt::format("forkserver: the server received a garbled request: {}", e.what()));
      } catch (const std::exception& e) {
        reply = encode_reply(nullptr, e.what());
      }
    } catch (...) {
      ::_exit(2);  // out of memory while encoding: the harness sees the server end and restarts it
    }
    ssize_t sent = 0;
    do sent = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent != static_cast<ssize_t>(reply.size())) ::_exit(0);
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

// True when the server has exited (it is then reaped by drop_server_locked).
bool server_has_ended_locked() {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(state.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
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
  const std::string request = encode_request(plan);

  // A server that ended between runs (killed, or its starting thread ended) is restarted before
  // the request is sent. Once the server has the request, its death is this run's failure, not
  // a reason to ask again: the time measured around the call would include a second run.
  if (state.pid > 0 && state.owner == ::getpid() && server_has_ended_locked()) drop_server_locked(false);
  start_locked();
  ssize_t sent = send_message(state.fd, request, plan.job ? plan.job->memory_fd() : -1);
  if (sent != static_cast<ssize_t>(request.size()) && (errno == EPIPE || errno == ECONNRESET)) {
    // It ended just before the request: nothing ran yet, so a fresh server may take it.
    drop_server_locked(true);
    start_locked();
    sent = send_message(state.fd, request, plan.job ? plan.job->memory_fd() : -1);
  }
  if (sent != static_cast<ssize_t>(request.size()))
    server_failed(fmt::format("sending the request failed: {}", std::strerror(errno)), true);
  // The server enforces the run's timeout itself; this guard only catches a server that hangs.
  const int wait_ms =
      plan.timeout.count() > 0 ? static_cast<int>(std::min<long long>(plan.timeout.count() + 10'000, 1 << 30)) : -1;
  pollfd pfd{state.fd, POLLIN, 0};
  int ready = 0;
  do ready = ::poll(&pfd, 1, wait_ms);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) server_failed("the server did not reply within the run's timeout plus 10 s", true);
  std::string reply;
  const ssize_t n = receive_message(state.fd, reply);
  if (n == 0 || (n < 0 && errno == ECONNRESET))
    server_failed("the server ended during the run, so its measurement is lost", false);
  if (n < 0) server_failed(fmt::format("reading the reply failed: {}", std::strerror(errno)), true);
  bool ok = false;
  process_outcome outcome;
  std::string error;
  try {
    codec::reader r(reply, reply_magic);
    ok = r.u32() != 0;
    outcome.result = r.words();
    outcome.workers_used = r.u32();
    outcome.cpu_seconds = std::bit_cast<double>(r.u64());
    error = r.str();
    r.finish();
  } catch (const codec::codec_error& e) {
    server_failed(fmt::format("the server sent a garbled reply: {}", e.what()), true);
  }
  if (!ok) throw run_error(error);
  return outcome;
}

}  // namespace parbench::process
