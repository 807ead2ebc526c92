// Helper programs (core/subprocess.hpp): the plotter and the reference peers are started,
// limited in time, found and given an interpreter by one module.

#include "core/subprocess.hpp"
#include "tests/proc_helpers.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace parbench::subprocess {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::path temp_file(const std::string& name) {
  fs::path p = fs::path(testing::TempDir()) / (name + "_" + std::to_string(::getpid()));
  std::ofstream(p) << "# helper\n";
  return p;
}

TEST(subprocess_run, captures_stdout_stderr_and_the_exit_code_apart) {
  const auto r = run({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 7"}, std::chrono::seconds(30));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "to-out\n");
  EXPECT_EQ(r->err, "to-err\n");
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_FALSE(r->timed_out);
}

TEST(subprocess_run, output_larger_than_a_pipe_is_read_whole) {
  const auto r = run({"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero >&2"},
                     std::chrono::seconds(60));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->err.substr(0, 200);
  EXPECT_EQ(r->out, std::string(1000000, 'a'));
  EXPECT_EQ(r->err.size(), 300000u);
}

TEST(subprocess_run, a_signal_death_is_128_plus_the_signal) {
  const auto r = run({"/bin/sh", "-c", "kill -SEGV $$"}, std::chrono::seconds(30));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 128 + SIGSEGV);
}

TEST(subprocess_run, a_bare_name_is_searched_on_path_and_a_missing_program_is_nullopt) {
  const auto found = run({"sh", "-c", "exit 0"}, std::chrono::seconds(30));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->exit_code, 0);
  const auto missing = run({"/nonexistent/parbench-helper"}, std::chrono::seconds(30));
  EXPECT_FALSE(missing.has_value());
  EXPECT_EQ(errno, ENOENT);
}

// A helper that ignores SIGTERM: the limit stops it and its own children (here a background
// sleep that also ignores SIGTERM), which are not parbench's children.
TEST(subprocess_run, a_program_past_its_limit_is_stopped_with_its_children) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run({"/bin/sh", "-c", "trap '' TERM; sleep 300 & echo $!; sleep 300"}, std::chrono::seconds(1));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  EXPECT_LT(seconds, 30.0);
  const int child = std::stoi(r->out);
  // Gone, or a zombie that init has yet to reap: either way no longer running.
  auto running = [child] {
    const char state = test::process_state(child);
    return state != '\0' && state != 'Z';
  };
  for (int i = 0; i < 100 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(running()) << "child " << child << " outlived its helper";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A child of the program that keeps the pipes open does not keep run() waiting, and is
// killed with the rest of the group.
TEST(subprocess_run, returns_when_the_program_exits_even_if_its_child_holds_the_pipes) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run({"/bin/sh", "-c", "sleep 300 & echo $!"}, std::chrono::seconds(120));
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(seconds_since(start), 10.0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 0);
  const int child = std::stoi(r->out);
  for (int i = 0; i < 100 && test::process_state(child) != '\0' && test::process_state(child) != 'Z'; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const char state = test::process_state(child);
  EXPECT_TRUE(state == '\0' || state == 'Z') << "child " << child << " outlived its helper";
}

// A program that closes its output early still has its time limit.
TEST(subprocess_run, the_limit_holds_after_the_program_closes_its_output) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run({"/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 300"}, std::chrono::seconds(1));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(seconds_since(start), 10.0);
}

// The SIGTERM grace ends as soon as the program has gone.
TEST(subprocess_run, a_program_that_obeys_sigterm_is_not_kept_for_the_grace_period) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run({"sleep", "300"}, std::chrono::seconds(1));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGTERM);
  EXPECT_LT(seconds_since(start), 4.0) << "1 s limit, no 5 s grace";
}

// parbench blocks SIGINT/SIGTERM/SIGHUP in every thread; a helper must not inherit that, or
// multiprocessing could not terminate its own workers.
TEST(subprocess_run, programs_start_with_no_signal_blocked) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  const auto r = run({"/bin/sh", "-c", "grep SigBlk /proc/self/status"}, std::chrono::seconds(30));
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->out.find("0000000000000000"), std::string::npos) << r->out;
}

TEST(subprocess_run, programs_lead_a_process_group_of_their_own) {
  const auto r = run({"/bin/sh", "-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"}, std::chrono::seconds(30));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  const auto space = r->out.find(' ');
  ASSERT_NE(space, std::string::npos) << r->out;
  EXPECT_EQ(std::stoi(r->out.substr(0, space)), std::stoi(r->out.substr(space + 1))) << r->out;
  EXPECT_NE(std::stoi(r->out.substr(space + 1)), ::getpgrp());
}

TEST(subprocess_paths, self_executable_is_this_test) { EXPECT_EQ(self_executable().filename(), "subprocess_test"); }

TEST(subprocess_companion, the_environment_variable_wins_and_must_name_a_file) {
  const fs::path script = temp_file("companion_env");
  const companion c{"helper.py", "PARBENCH_TEST_HELPER", {}, {}, "/nonexistent/helper.py"};
  {
    const scoped_env env("PARBENCH_TEST_HELPER", script.string());
    EXPECT_EQ(find_companion(c).path, script);
  }
  {
    const scoped_env env("PARBENCH_TEST_HELPER", "/nonexistent/other.py");
    const located l = find_companion(c);
    EXPECT_TRUE(l.path.empty());
    EXPECT_EQ(l.problem, "PARBENCH_TEST_HELPER names '/nonexistent/other.py', which is not a file");
  }
  fs::remove(script);
}

TEST(subprocess_companion, next_to_the_executable_comes_before_the_source_tree) {
  const fs::path beside = self_executable().parent_path() / ("companion_beside_" + std::to_string(::getpid()));
  std::ofstream(beside) << "# helper\n";
  const fs::path source = temp_file("companion_source");
  const companion c{"helper.py", "PARBENCH_TEST_HELPER_UNSET", {beside.filename()}, {}, source};
  EXPECT_EQ(find_companion(c).path, beside);
  fs::remove(beside);
  EXPECT_EQ(find_companion(c).path, source);
  fs::remove(source);
}

// A program that embeds parbench learns the installed data folder from the CMake package.
TEST(subprocess_companion, the_data_directory_comes_after_the_executable_and_before_the_source_tree) {
  const fs::path data = temp_file("companion_data");
  fs::remove(data);
  fs::create_directories(data / "peers");
  std::ofstream(data / "peers" / "helper.py") << "# helper\n";
  const fs::path source = temp_file("companion_source");
  const companion c{"helper.py", "PARBENCH_TEST_HELPER_UNSET", {"no-such-helper.py"}, "peers/helper.py", source};
  EXPECT_EQ(find_companion(c).path, source);  // no data folder known yet
  set_data_directory(data);
  EXPECT_EQ(find_companion(c).path, data / "peers" / "helper.py");
  set_data_directory({});
  fs::remove_all(data);
  fs::remove(source);
}

TEST(subprocess_companion, nothing_found_lists_every_place_and_the_fix) {
  const companion c{"helper.py",
                    "PARBENCH_TEST_HELPER_UNSET",
                    {"helper.py", "../share/parbench/helper.py"},
                    {},
                    "/nonexistent/src/helper.py"};
  const located l = find_companion(c);
  EXPECT_TRUE(l.path.empty());
  const fs::path dir = self_executable().parent_path();
  EXPECT_NE(l.problem.find("cannot find helper.py; looked in:"), std::string::npos) << l.problem;
  EXPECT_NE(l.problem.find((dir / "helper.py").string()), std::string::npos) << l.problem;
  EXPECT_NE(l.problem.find((dir.parent_path() / "share/parbench/helper.py").string()), std::string::npos) << l.problem;
  EXPECT_NE(l.problem.find("/nonexistent/src/helper.py"), std::string::npos) << l.problem;
  EXPECT_NE(l.problem.find("set PARBENCH_TEST_HELPER_UNSET to its path"), std::string::npos) << l.problem;
}

// $PYTHON comes first but is skipped when its probe fails (it may lack the packages).
TEST(subprocess_python, PYTHON_is_tried_first_and_skipped_when_its_probe_fails) {
  {
    const scoped_env env("PYTHON", "/bin/false");
    const auto p = find_python("print('ok')");
    ASSERT_TRUE(p.has_value()) << "needs /usr/bin/python3 (scripts/setup)";
    EXPECT_NE(p->python, "/bin/false");
    EXPECT_EQ(p->out, "ok\n");
    EXPECT_EQ(python_candidates(), "$PYTHON=/bin/false, /usr/bin/python3 and python3 on PATH");
  }
  {
    const scoped_env env("PYTHON", "/usr/bin/python3");
    EXPECT_EQ(find_python("print('ok')")->python, "/usr/bin/python3");
  }
}

TEST(subprocess_python, a_probe_no_interpreter_passes_is_nullopt) {
  const scoped_env env("PYTHON", "/bin/false");
  EXPECT_FALSE(find_python("import parbench_no_such_module").has_value());
}

}  // namespace
}  // namespace parbench::subprocess
