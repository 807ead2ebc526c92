#include "reports/plot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "core/errors.hpp"

extern char** environ;

namespace parbench::reports {
namespace detail {
namespace {

// A pipe whose ends close themselves.
struct pipe_fds {
  std::array<int, 2> fd{-1, -1};
  pipe_fds() {
    if (::pipe2(fd.data(), O_CLOEXEC) != 0) throw report_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  ~pipe_fds() { close_all(); }
  pipe_fds(const pipe_fds&) = delete;
  pipe_fds& operator=(const pipe_fds&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void close_all() {
    close_end(0);
    close_end(1);
  }
};

struct spawn_result {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string output;  ///< stdout and stderr when captured
};

// Runs argv[0] (searched on PATH when `search_path`) with stdout/stderr captured or inherited.
// Returns nullopt when the program could not be started at all.
std::optional<spawn_result> spawn_and_wait(const std::vector<std::string>& args, bool search_path, bool capture) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pipe_fds out;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDERR_FILENO);
  }
  pid_t pid = -1;
  const int rc = search_path ? ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ)
                             : ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return std::nullopt;
  }
  out.close_end(1);
  spawn_result r;
  if (capture) {
    std::array<char, 4096> buf{};
    for (;;) {
      const ssize_t n = ::read(out.fd[0], buf.data(), buf.size());
      if (n > 0) {
        r.output.append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool can_import_matplotlib(const std::string& python, bool search_path) {
  const auto r = spawn_and_wait({python, "-c", "import matplotlib"}, search_path, true);
  return r && r->exit_code == 0;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

std::filesystem::path find_script() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("PARBENCH_PLOT_SCRIPT"); env != nullptr && *env != '\0') {
    if (!fs::is_regular_file(env, ec))
      throw report_error(fmt::format("PARBENCH_PLOT_SCRIPT names '{}', which is not a file", env));
    return env;
  }
  std::vector<fs::path> candidates;
  if (const auto exe = self_executable(); !exe.empty()) {
    candidates.push_back(exe.parent_path() / "plot.py");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "parbench" / "plot.py");
  }
  candidates.emplace_back(PARBENCH_PLOT_SCRIPT_SOURCE);
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  std::string tried;
  for (const auto& c : candidates) tried += "\n  " + c.string();
  throw report_error(fmt::format("cannot find plot.py; looked in:{}\nset PARBENCH_PLOT_SCRIPT to its path", tried));
}

}  // namespace
}  // namespace detail

std::filesystem::path find_plot_python() {
  // The python3 first on PATH may be another installation without matplotlib: test each.
  if (const char* env = std::getenv("PYTHON"); env != nullptr && *env != '\0') {
    const bool bare = std::string(env).find('/') == std::string::npos;
    if (detail::can_import_matplotlib(env, bare)) return env;
  }
  if (detail::can_import_matplotlib("/usr/bin/python3", false)) return "/usr/bin/python3";
  if (detail::can_import_matplotlib("python3", true)) return "python3";
  return {};
}

void make_plots(const std::filesystem::path& report_dir, const std::filesystem::path& out_dir) {
  const std::filesystem::path python = find_plot_python();
  if (python.empty()) {
    const char* env = std::getenv("PYTHON");
    throw report_error(fmt::format(
        "no Python that can import matplotlib (tried {}/usr/bin/python3 and python3 on PATH): install the Debian "
        "package python3-matplotlib (apt-get install python3-matplotlib), or point $PYTHON at an interpreter that "
        "has matplotlib",
        env != nullptr && *env != '\0' ? fmt::format("$PYTHON={}, ", env) : std::string()));
  }
  const std::filesystem::path script = detail::find_script();
  const bool bare = python.string().find('/') == std::string::npos;
  const auto r =
      detail::spawn_and_wait({python.string(), script.string(), report_dir.string(), out_dir.string()}, bare, true);
  if (!r) throw report_error(fmt::format("cannot start {}: {}", python.string(), std::strerror(errno)));
  // The plotter's message names the file, line and column; pass it on without its "error: " prefix.
  std::string message = r->output;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (const auto at = message.rfind("error: "); at != std::string::npos) message = message.substr(at + 7);
  switch (r->exit_code) {
    case 0: return;
    case 2: throw usage_error(fmt::format("cannot plot {}: {}", report_dir.string(), message));
    default:
      throw report_error(fmt::format("plotting {} failed ({} {} exited with {}): {}", report_dir.string(),
                                     python.string(), script.string(), r->exit_code, message));
  }
}

}  // namespace parbench::reports
