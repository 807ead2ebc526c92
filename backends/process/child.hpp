#pragma once
// Child processes owned by RAII: a child that is still running when its owner goes away is
// killed and reaped, so no error path leaves a zombie or an orphan behind.

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

namespace parbench::process {

/// How a reaped child ended, with the CPU time it (and its own reaped children) used.
struct exit_info {
  int status = 0;            ///< as from wait4()
  double cpu_seconds = 0.0;  ///< user + system
  [[nodiscard]] bool success() const noexcept;
};

/// A child process of this process that must be reaped exactly once.
class child_process {
 public:
  child_process() noexcept = default;
  explicit child_process(pid_t pid) noexcept : pid_(pid) {}
  child_process(child_process&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  /// Kills (SIGKILL) and reaps the child if it has not been reaped yet.
  ~child_process() { kill_and_reap(); }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// True until the child has been reaped.
  [[nodiscard]] bool owned() const noexcept { return pid_ > 0; }
  /// Blocks until the child exits and reaps it (wait4, EINTR retried).
  exit_info wait();
  /// Reaps the child if it has exited; nullopt while it runs.
  std::optional<exit_info> try_wait();
  /// Sends SIGKILL without reaping (so that many children die in parallel).
  void kill() const noexcept;
  /// SIGKILL, then reap; a no-op once reaped.
  void kill_and_reap() noexcept;

 private:
  pid_t pid_ = -1;
};

/// "SIGSEGV (Segmentation fault)"; "signal 70" for numbers without a name.
std::string signal_name(int signal);

/// "exited with status 3", "was killed by signal SIGSEGV (Segmentation fault)".
std::string describe_status(int status);

}  // namespace parbench::process
