#include "backends/process/spawn.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "core/job_codec.hpp"
#include "core/shared_region.hpp"
#include "core/signals.hpp"
#include "kernels/registry.hpp"

extern char** environ;

namespace parbench::process {
namespace {

// Where a spawned worker finds the job's shared memory, when it has any.
constexpr int memory_fd_number = 3;
// Where it finds the read end of the start barrier (assignment::start_fd).
constexpr int start_fd_number = 4;

std::atomic<bool> worker_capable{false};

template <typename T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

// RAII for the two posix_spawn attribute objects.
struct spawn_setup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  spawn_setup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
  }
  ~spawn_setup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
};

}  // namespace

void mark_worker_capable() noexcept { worker_capable.store(true); }

std::optional<std::string> worker_executable() {
  if (const char* exe = std::getenv("PARBENCH_WORKER_EXE"); exe != nullptr && *exe != '\0') return std::string(exe);
  if (worker_capable.load()) return std::string("/proc/self/exe");
  return std::nullopt;
}

std::vector<std::string> worker_arguments(const assignment& a, pid_t parent) {
  const bool memory = a.job && a.job->memory_fd() >= 0;
  return {codec::to_hex(encode_assignment_job(a)),
          std::to_string(a.worker),
          std::string(to_string(a.fault)),
          a.takes_tasks ? "tasks" : "once",
          std::to_string(parent),
          memory ? std::to_string(memory_fd_number) : "-1",
          a.start_fd >= 0 ? std::to_string(start_fd_number) : "-1",
          std::to_string(a.cpu)};
}

pid_t spawn_worker(const std::string& exe, const assignment& a, int result_fd, int task_fd) {
  std::vector<std::string> args = {exe, worker_mode_argument};
  for (auto& arg : worker_arguments(a, ::getpid())) args.push_back(std::move(arg));
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  spawn_setup setup;
  // The descriptors are close-on-exec; dup2 onto stdout (and stdin) makes them the ones the
  // worker keeps.
  ::posix_spawn_file_actions_adddup2(&setup.actions, result_fd, STDOUT_FILENO);
  if (task_fd >= 0) ::posix_spawn_file_actions_adddup2(&setup.actions, task_fd, STDIN_FILENO);
  // The job's shared memory (kernels with arrays): the worker maps this descriptor, so that it
  // works on the parent's arrays, not on a private copy.
  if (a.job && a.job->memory_fd() >= 0)
    ::posix_spawn_file_actions_adddup2(&setup.actions, a.job->memory_fd(), memory_fd_number);
  if (a.start_fd >= 0) ::posix_spawn_file_actions_adddup2(&setup.actions, a.start_fd, start_fd_number);
  sigset_t none;
  sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&setup.attr, &none);
  ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  signals::note_child_creator();  // posix_spawn does not run the fork handlers
  const int rc = ::posix_spawn(&pid, exe.c_str(), &setup.actions, &setup.attr, argv.data(), environ);
  if (rc != 0)
    throw run_error(fmt::format("posix_spawn of '{}' failed: {}{}", exe, std::strerror(rc),
                                rc == ENOENT ? " (set PARBENCH_WORKER_EXE to the parbench binary)" : ""));
  return pid;
}

int worker_main(int argc, char** argv) {
  const auto usage = [](const char* why) {
    std::fprintf(stderr, "parbench __worker: internal worker mode of the spawn backend; not for direct use (%s)\n",
                 why);
    return 2;
  };
  if (argc != 10) return usage("wrong number of arguments");
  assignment a;
  pid_t parent = 0;
  const std::string_view mode = argv[5];
  const auto fault = parse_fault_mode(argv[4]);
  const std::string_view memory = argv[7];
  const std::string_view start = argv[8];
  if (!parse_number(argv[3], a.worker) || !fault || (mode != "once" && mode != "tasks") ||
      !parse_number(argv[6], parent) || (memory != "-1" && memory != std::to_string(memory_fd_number)) ||
      (start != "-1" && start != std::to_string(start_fd_number)) || !parse_number(argv[9], a.cpu) || a.cpu < -1)
    return usage("malformed arguments");
  if (memory != "-1") (void)adopt_region_fd(memory_fd_number);
  try {
    const codec::decoded_job job = codec::decode_job(codec::from_hex(argv[2]));
    a.range = job.range;
    if (!job.spec.kernel.empty()) a.job = make_job(job.spec);
  } catch (const std::exception& e) {
    return usage(e.what());
  }
  if (a.job ? a.range.last > a.job->chunk_count() : !a.range.empty()) return usage("chunks beyond the job");
  a.fault = *fault;
  a.takes_tasks = mode == "tasks";
  a.start_fd = start == "-1" ? -1 : start_fd_number;
  bind_to_parent(parent);
  run_worker(a, STDOUT_FILENO, STDIN_FILENO);
}

}  // namespace parbench::process
