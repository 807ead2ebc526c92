#include "backends/process/spawn.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/errors.hpp"

extern char** environ;

namespace parbench::process {
namespace {

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

pid_t spawn_worker(const std::string& exe, const assignment& a, int result_fd) {
  // argv: exe __worker samples seed rng first last worker fault parent
  std::array<std::string, 10> args = {exe,
                                      worker_mode_argument,
                                      std::to_string(a.job.samples),
                                      std::to_string(a.job.seed),
                                      std::string(kernels::to_string(a.job.rng)),
                                      std::to_string(a.first_chunk),
                                      std::to_string(a.last_chunk),
                                      std::to_string(a.worker),
                                      std::string(to_string(a.fault)),
                                      std::to_string(::getpid())};
  std::array<char*, args.size() + 1> argv{};
  for (std::size_t i = 0; i < args.size(); ++i) argv[i] = args[i].data();

  spawn_setup setup;
  // The pipe is close-on-exec; dup2 onto stdout makes it the one descriptor the worker keeps.
  ::posix_spawn_file_actions_adddup2(&setup.actions, result_fd, STDOUT_FILENO);
  sigset_t none;
  sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&setup.attr, &none);
  ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &setup.actions, &setup.attr, argv.data(), environ);
  if (rc != 0)
    throw run_error(fmt::format("could not start worker {}: posix_spawn of '{}' failed: {}{}", a.worker, exe,
                                std::strerror(rc),
                                rc == EAGAIN   ? " (process limit reached: lower --workers or raise `ulimit -u`)"
                                : rc == ENOENT ? " (set PARBENCH_WORKER_EXE to the parbench binary)"
                                               : ""));
  return pid;
}

int worker_main(int argc, char** argv) {
  const auto usage = [] {
    std::fputs("parbench __worker: internal worker mode of the spawn backend; not for direct use\n", stderr);
    return 2;
  };
  if (argc != 10) return usage();
  assignment a;
  pid_t parent = 0;
  const std::string_view rng = argv[4];
  const auto fault = parse_fault_mode(argv[8]);
  if (!parse_number(argv[2], a.job.samples) || !parse_number(argv[3], a.job.seed) ||
      (rng != "philox" && rng != "light") || !parse_number(argv[5], a.first_chunk) ||
      !parse_number(argv[6], a.last_chunk) || !parse_number(argv[7], a.worker) || !fault ||
      !parse_number(argv[9], parent) || a.first_chunk > a.last_chunk || a.last_chunk > a.job.chunk_count())
    return usage();
  a.job.rng = rng == "philox" ? kernels::rng_kind::philox : kernels::rng_kind::light;
  a.fault = *fault;
  bind_to_parent(parent);
  run_worker(a, STDOUT_FILENO);
}

}  // namespace parbench::process
