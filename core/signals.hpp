#pragma once
// Interrupts (SIGINT, SIGTERM, SIGHUP) and the whole-run time limit. install() blocks
// those signals in the calling thread before any other thread or child exists, so every
// thread inherits the block and one watcher thread receives them (signalfd). On a signal
// the watcher waits for running critical sections (a report being renamed into place),
// runs the registered cleanup actions newest first (remove temporary files, the lock
// file, the process group of a helper program: core/subprocess.hpp), kills this process's
// child processes (workers and the forkserver: they inherit the blocked signals; see
// note_child_creator) and ends
// the process by the same signal with its default action, so the exit status is 128+N (130
// for SIGINT, 143 for SIGTERM).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace parbench::signals {

/// Starts the watcher thread. Call once, at the top of main, after the spawn backend's
/// worker mode has been handled and before any thread pool or child process is started.
/// Later calls do nothing.
void install();

/// Declares that the calling thread starts child processes other than by fork() (which is
/// noticed by itself), for example by posix_spawn, so that an interrupt kills them too.
/// Children of the main thread are always killed; call this from any other thread that
/// starts children. Cheap after the first call from a thread.
void note_child_creator() noexcept;

/// True once install() has run in this process.
[[nodiscard]] bool installed() noexcept;

/// Called on main's error paths: when an interrupt or the deadline is being handled (a
/// worker killed by the same Ctrl-C shows up as a failed run), blocks until the watcher
/// ends the process, so the exit status is the signal's and not the error's.
void wait_if_stopping() noexcept;

/// While an instance lives, the run ends when `limit` has passed: cleanup as for a
/// signal, "parbench: error: <what>" on stderr, exit code 3 (run failed). The earliest of
/// all live deadlines counts. A zero limit sets none. Needs install() to take effect.
class deadline {
 public:
  deadline(std::chrono::milliseconds limit, std::string what);
  ~deadline();
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

 private:
  std::uint64_t id_ = 0;
};

/// While an instance lives, an interrupt or the deadline waits, so a group of files is
/// renamed into place completely or not at all. Keep the scope short. Nests.
class critical_section {
 public:
  critical_section();
  ~critical_section();
  critical_section(const critical_section&) = delete;
  critical_section& operator=(const critical_section&) = delete;
};

/// An action run if the process is interrupted or times out while the instance lives
/// (for example: remove a temporary file). Actions run on the watcher thread, newest first,
/// and must not throw. Destroying the instance unregisters the action without running it.
class cleanup {
 public:
  explicit cleanup(std::function<void()> action);
  ~cleanup();
  cleanup(const cleanup&) = delete;
  cleanup& operator=(const cleanup&) = delete;

 private:
  std::uint64_t id_;
};

}  // namespace parbench::signals
