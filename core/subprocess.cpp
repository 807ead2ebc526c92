#include "core/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "core/errors.hpp"
#include "core/signals.hpp"

extern char** environ;

namespace parbench::subprocess {
namespace {

// A file descriptor that closes itself.
class fd_guard {
 public:
  explicit fd_guard(int fd = -1) noexcept : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  fd_guard(fd_guard&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  fd_guard& operator=(fd_guard&&) = delete;
  ~fd_guard() { reset(); }
  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct pipe_pair {
  fd_guard read, write;
};

// Nothing (errno set) when the pipe cannot be created.
std::optional<pipe_pair> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  return pipe_pair{fd_guard(fds[0]), fd_guard(fds[1])};
}

// True once `pid` has exited. It stays a zombie (WNOWAIT), so its pid and process group id
// cannot be reused until wait_for_exit() reaps it.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Reaps `pid`: its exit status, 128 + signal, or -1.
int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Starts `args` in a process group of its own with stdout/stderr into the pipes; -1 (errno
// set) when it cannot be started.
pid_t start(const std::vector<std::string>& args, int out_fd, int err_fd) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  const bool search = args[0].find('/') == std::string::npos;
  signals::note_child_creator();  // posix_spawn does not run the fork handlers
  const int rc = search ? ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ)
                        : ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}

// Reads both pipes until the program has exited and what it wrote is drained, or `deadline`
// passes (false). The pipes may stay open after the program exits (a child of it holds them),
// and may close long before (it redirected them): neither ends the wait early or makes it
// unbounded.
bool collect(int out_fd, int err_fd, pid_t pid, output& result, std::chrono::steady_clock::time_point deadline) {
  using std::chrono::milliseconds;
  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open = 2;
  std::array<char, 4096> buf{};
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const bool exited = has_exited(pid);
    if (open == 0) {
      if (exited) return true;
      std::this_thread::sleep_for(std::min(left, milliseconds(2)));
      continue;
    }
    // Once it has exited, only what is already in the pipes is read (timeout 0).
    const int n = ::poll(fds.data(), fds.size(), exited ? 0 : static_cast<int>(std::min<long long>(left.count(), 50)));
    if (n < 0 && errno != EINTR) {
      for (auto& f : fds) f.fd = -1;  // cannot read any more; the limit still holds
      open = 0;
      continue;
    }
    if (n == 0 && exited) return true;
    for (std::size_t i = 0; i < fds.size() && n > 0; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got > 0) {
        sinks[i]->append(buf.data(), static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;  // the caller's guard closes it
        --open;
      }
    }
  }
}

}  // namespace

std::optional<output> run(const std::vector<std::string>& args, std::chrono::seconds limit) {
  auto out = make_pipe();
  if (!out) return std::nullopt;
  auto err = make_pipe();
  if (!err) return std::nullopt;
  const pid_t pid = start(args, out->write.get(), err->write.get());
  if (pid < 0) return std::nullopt;
  // The group is named by the leader's pid, which stays ours until it is reaped below; the
  // action is unregistered before that.
  std::optional<signals::cleanup> stop_group(std::in_place, [pid] { ::kill(-pid, SIGKILL); });
  out->write.reset();
  err->write.reset();

  output result;
  result.timed_out = !collect(out->read.get(), err->read.get(), pid, result, std::chrono::steady_clock::now() + limit);
  if (result.timed_out) {
    // SIGTERM first: a Python program then terminates its Pool; the grace ends when it exits.
    ::kill(-pid, SIGTERM);
    const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < grace && !has_exited(pid))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Whatever is left of the group (the program's own children) goes with it.
  ::kill(-pid, SIGKILL);
  stop_group.reset();
  result.exit_code = wait_for_exit(pid);
  return result;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

namespace {
std::filesystem::path& data_directory_storage() {
  static std::filesystem::path dir;
  return dir;
}
}  // namespace

void set_data_directory(std::filesystem::path dir) { data_directory_storage() = std::move(dir); }
const std::filesystem::path& data_directory() { return data_directory_storage(); }

located find_companion(const companion& c) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv(c.env_var.c_str()); env != nullptr && *env != '\0') {
    if (!fs::is_regular_file(env, ec)) return {{}, fmt::format("{} names '{}', which is not a file", c.env_var, env)};
    return {env, {}};
  }
  std::vector<fs::path> candidates;
  if (const auto exe = self_executable(); !exe.empty())
    for (const auto& relative : c.near_executable) candidates.push_back(exe.parent_path() / relative);
  if (!data_directory().empty() && !c.in_data_directory.empty())
    candidates.push_back(data_directory() / c.in_data_directory);
  candidates.push_back(c.source);
  for (const auto& candidate : candidates)
    if (fs::is_regular_file(candidate, ec)) return {candidate, {}};
  std::string tried;
  for (const auto& candidate : candidates) tried += "\n  " + candidate.lexically_normal().string();
  return {{}, fmt::format("cannot find {}; looked in:{}\nset {} to its path", c.description, tried, c.env_var)};
}

std::optional<python_probe> find_python(std::string_view code) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("PYTHON"); env != nullptr && *env != '\0') candidates.emplace_back(env);
  candidates.emplace_back("/usr/bin/python3");
  candidates.emplace_back("python3");
  for (const auto& python : candidates) {
    const auto r = run({python, "-c", std::string(code)}, std::chrono::seconds(60));
    if (r && !r->timed_out && r->exit_code == 0) return python_probe{python, r->out};
    // Not "no such Python": this process ran out of something, and every other one would too.
    const int err = errno;
    if (!r && (err == EMFILE || err == ENFILE || err == EAGAIN || err == ENOMEM))
      throw run_error(fmt::format("cannot start {} to look for a Python: {} ({})", python, std::strerror(err),
                                  err == EMFILE || err == ENFILE ? "no descriptor left for its pipes: raise `ulimit -n`"
                                  : err == EAGAIN                ? "the process limit: raise `ulimit -u`"
                                                                 : "out of memory"));
  }
  return std::nullopt;
}

std::string python_candidates() {
  const char* env = std::getenv("PYTHON");
  return fmt::format("{}/usr/bin/python3 and python3 on PATH",
                     env != nullptr && *env != '\0' ? fmt::format("$PYTHON={}, ", env) : std::string());
}

}  // namespace parbench::subprocess
