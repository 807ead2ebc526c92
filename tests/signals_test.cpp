// core/signals.hpp and core/dir_lock.hpp. Each signal case runs in a forked child that
// installs the watcher, so the test process itself is never interrupted.

#include "core/signals.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "core/dir_lock.hpp"
#include "core/errors.hpp"

using namespace parbench;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

extern char** environ;

namespace {

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "parbench-signals-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~scratch_dir() { fs::remove_all(path); }
};

// Runs `body` in a forked child with stderr sent to `err_file`; returns its wait status.
int in_child(const std::function<void()>& body, const fs::path& err_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDERR_FILENO);
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(signals, sigterm_runs_cleanup_actions_and_ends_by_the_signal) {
  scratch_dir dir;
  const fs::path victim = dir.path / "partial.tmp";
  const int status = in_child(
      [&] {
        signals::install();
        std::ofstream(victim) << "half";
        const signals::cleanup remove([&] { fs::remove(victim); });
        ::kill(::getpid(), SIGTERM);
        std::this_thread::sleep_for(10s);  // the watcher ends the process long before
        ::_exit(7);
      },
      dir.path / "err");
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(fs::exists(victim));
  EXPECT_THAT(slurp(dir.path / "err"), ::testing::HasSubstr("interrupted by SIGTERM"));
}

TEST(signals, a_dropped_cleanup_action_does_not_run) {
  scratch_dir dir;
  const fs::path kept = dir.path / "kept";
  const int status = in_child(
      [&] {
        signals::install();
        std::ofstream(kept) << "final";
        {
          const signals::cleanup remove([&] { fs::remove(kept); });
        }
        ::kill(::getpid(), SIGINT);
        std::this_thread::sleep_for(10s);
      },
      dir.path / "err");
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_TRUE(fs::exists(kept));
}

// A signal during a critical section waits for its end: the file is written whole.
TEST(signals, critical_section_delays_the_interrupt_until_it_ends) {
  scratch_dir dir;
  const fs::path target = dir.path / "report.csv";
  const int status = in_child(
      [&] {
        signals::install();
        {
          const signals::critical_section section;
          ::kill(::getpid(), SIGINT);
          std::this_thread::sleep_for(300ms);  // the watcher has the signal by now and waits
          std::ofstream(target) << "complete\n";
        }
        std::this_thread::sleep_for(10s);
        ::_exit(7);
      },
      dir.path / "err");
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_EQ(slurp(target), "complete\n");
}

TEST(signals, deadline_ends_the_run_with_exit_code_3_and_the_reason) {
  scratch_dir dir;
  const auto start = std::chrono::steady_clock::now();
  const int status = in_child(
      [&] {
        signals::install();
        const signals::deadline limit(200ms, "the run took longer than --run-timeout 0.2 s");
        std::this_thread::sleep_for(10s);
      },
      dir.path / "err");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_LT(took, 5s);
  EXPECT_THAT(slurp(dir.path / "err"), ::testing::HasSubstr("longer than --run-timeout 0.2 s"));
}

TEST(signals, a_deadline_that_ended_in_time_does_not_fire) {
  scratch_dir dir;
  const int status = in_child(
      [&] {
        signals::install();
        { const signals::deadline limit(100ms, "should not fire"); }
        const signals::deadline later(10s, "later");
        std::this_thread::sleep_for(400ms);
      },
      dir.path / "err");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Children inherit the blocked interrupt signals; the watcher kills them on its way out.
// `start` starts `sleep 30` (inside the child that installed the watcher) and returns its pid.
void expect_children_killed_on_interrupt(const std::function<pid_t()>& start) {
  scratch_dir dir;
  const fs::path pid_file = dir.path / "grandchild.pid";
  const int status = in_child(
      [&] {
        signals::install();
        std::ofstream(pid_file) << start();
        ::kill(::getpid(), SIGTERM);
        std::this_thread::sleep_for(10s);
      },
      dir.path / "err");
  ASSERT_TRUE(WIFSIGNALED(status));
  const pid_t grandchild = std::stoi(slurp(pid_file));
  ASSERT_GT(grandchild, 0);
  // Reparented to init (or a subreaper) and killed: gone, or a zombie, within a moment.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    const std::string stat = slurp(fmt::format("/proc/{}/stat", grandchild));
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone) << "pid " << grandchild << " still runs";
  if (!gone) ::kill(grandchild, SIGKILL);
}

pid_t fork_sleep() {
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return child;
}

pid_t spawn_sleep() {
  pid_t child = -1;
  char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
  return ::posix_spawn(&child, "/bin/sleep", nullptr, nullptr, argv, environ) == 0 ? child : -1;
}

// Runs `start` on a thread of its own, which then ends (its children pass to the main thread).
pid_t on_another_thread(const std::function<pid_t()>& start) {
  pid_t child = -1;
  std::thread([&] { child = start(); }).join();
  return child;
}

TEST(signals, children_of_the_main_thread_are_killed_on_interrupt) { expect_children_killed_on_interrupt(fork_sleep); }

// The watcher reads only the children of the threads that started any: fork() is noticed by
// itself, posix_spawn callers say so.
TEST(signals, children_forked_by_another_thread_are_killed_on_interrupt) {
  expect_children_killed_on_interrupt([] {
    pid_t child = -1;
    std::atomic<bool> started{false};
    std::thread([&] {
      child = fork_sleep();
      started = true;
      std::this_thread::sleep_for(30s);  // still alive when the signal comes
    }).detach();
    while (!started) std::this_thread::sleep_for(1ms);
    return child;
  });
}

TEST(signals, children_spawned_by_a_thread_that_said_so_are_killed_on_interrupt) {
  expect_children_killed_on_interrupt([] {
    pid_t child = -1;
    std::atomic<bool> started{false};
    std::thread([&] {
      signals::note_child_creator();
      child = spawn_sleep();
      started = true;
      std::this_thread::sleep_for(30s);
    }).detach();
    while (!started) std::this_thread::sleep_for(1ms);
    return child;
  });
}

TEST(signals, children_of_a_thread_that_has_ended_are_killed_on_interrupt) {
  expect_children_killed_on_interrupt([] {
    return on_another_thread([] {
      signals::note_child_creator();
      return spawn_sleep();
    });
  });
}

TEST(dir_lock, second_holder_fails_naming_the_first) {
  scratch_dir dir;
  const dir_lock first(dir.path);
  EXPECT_TRUE(fs::exists(dir.path / dir_lock_file));
  try {
    const dir_lock second(dir.path);
    FAIL() << "a second lock on the same folder succeeded";
  } catch (const report_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("in use by another parbench run"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr(fmt::format("pid {}", ::getpid())));
  }
}

TEST(dir_lock, released_lock_removes_its_file_and_can_be_taken_again) {
  scratch_dir dir;
  { const dir_lock first(dir.path); }
  EXPECT_FALSE(fs::exists(dir.path / dir_lock_file));
  std::ofstream(dir.path / dir_lock_file) << "12345\n";  // left by a killed run: holds no lock
  { const dir_lock again(dir.path); }
  EXPECT_FALSE(fs::exists(dir.path / dir_lock_file));
}

TEST(dir_lock, unwritable_folder_is_a_report_error) { EXPECT_THROW(dir_lock(fs::path("/proc/self")), report_error); }

}  // namespace
