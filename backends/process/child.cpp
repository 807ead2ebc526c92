#include "backends/process/child.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>

namespace parbench::process {
namespace {

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

exit_info make_info(int status, const rusage& usage) {
  return {status, seconds(usage.ru_utime) + seconds(usage.ru_stime)};
}

}  // namespace

bool exit_info::success() const noexcept { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

exit_info child_process::wait() {
  int status = 0;
  rusage usage{};
  while (::wait4(pid_, &status, 0, &usage) < 0) {
    // ECHILD means someone else reaped it (SIGCHLD set to SIG_IGN): nothing left to wait for.
    if (errno != EINTR) {
      pid_ = -1;
      return {};
    }
  }
  pid_ = -1;
  return make_info(status, usage);
}

std::optional<exit_info> child_process::try_wait() {
  int status = 0;
  rusage usage{};
  for (;;) {
    const pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
    if (r == 0) return std::nullopt;
    if (r > 0) break;
    if (errno == EINTR) continue;
    pid_ = -1;
    return exit_info{};
  }
  pid_ = -1;
  return make_info(status, usage);
}

void child_process::kill() const noexcept {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

void child_process::kill_and_reap() noexcept {
  if (pid_ <= 0) return;
  kill();
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  const char* text = ::sigdescr_np(signal);
  if (abbrev == nullptr) return fmt::format("signal {}", signal);
  return text != nullptr ? fmt::format("SIG{} ({})", abbrev, text) : fmt::format("SIG{}", abbrev);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {}{}", signal_name(WTERMSIG(status)),
                       WCOREDUMP(status) ? ", core dumped" : "");
  return fmt::format("ended with wait status {:#x}", status);
}

}  // namespace parbench::process
