#pragma once
// Helper programs that parbench starts: the Python plotter (reports/plot.py) and the
// reference peers (peers/python/mp_pi.py). One way to start them, find their scripts and
// pick an interpreter, so every helper has the same time limit, signal and clean-up rules.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parbench::subprocess {

struct output {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string out;     ///< everything it wrote to stdout
  std::string err;     ///< everything it wrote to stderr
  bool timed_out = false;
};

/// Runs `args` (argv[0] searched on PATH when it has no '/') with stdout and stderr captured,
/// in a process group of its own, with default signal handling and nothing blocked (parbench
/// blocks the interrupt signals in all its threads, and a child would inherit that:
/// multiprocessing could then never stop its own workers). Returns once the program has exited
/// and its output is read, even if a child of it still holds the pipes; what is left of its
/// group is then killed. Past `limit` the group gets SIGTERM, and SIGKILL when the program has
/// not exited 5 s later; when parbench is interrupted, SIGKILL at once. Blocking; nullopt
/// (errno set) when the program cannot be started.
std::optional<output> run(const std::vector<std::string>& args, std::chrono::seconds limit);

/// The running executable (/proc/self/exe), or an empty path when it cannot be read.
[[nodiscard]] std::filesystem::path self_executable();

/// A file installed with parbench (a script), and where to look for it.
struct companion {
  std::string description;  ///< for messages, e.g. "plot.py"
  std::string env_var;      ///< names the file explicitly when set, e.g. PARBENCH_PLOT_SCRIPT
  std::vector<std::filesystem::path> near_executable;  ///< relative to the executable's folder
  std::filesystem::path in_data_directory;             ///< relative to data_directory()
  std::filesystem::path source;                        ///< its place in the source tree
};

/// An installed parbench's data folder (<prefix>/share/parbench), which a program that embeds
/// parbench learns from the CMake package (cli_main); empty when unknown.
void set_data_directory(std::filesystem::path dir);
[[nodiscard]] const std::filesystem::path& data_directory();

/// Where `c` is: the file $env_var names (which must exist), else the first existing one of
/// near_executable, in_data_directory, then source. Or, when there is none, an empty path and a message saying
/// what is wrong and how to fix it: the caller throws it with its own error kind.
struct located {
  std::filesystem::path path;
  std::string problem;
};
[[nodiscard]] located find_companion(const companion& c);

/// An interpreter and what its probe printed.
struct python_probe {
  std::string python;
  std::string out;
};

/// The first of $PYTHON, /usr/bin/python3 and python3 on PATH for which `python -c code` exits
/// 0 within a minute. The python3 first on PATH may be another installation (pyenv, a venv)
/// without Debian's packages, so each is tried. Throws run_error, saying what ran out, when an
/// interpreter cannot even be started for lack of descriptors, processes or memory.
[[nodiscard]] std::optional<python_probe> find_python(std::string_view code);

/// The interpreters find_python() tries, for error messages: "$PYTHON=..., /usr/bin/python3
/// and python3 on PATH".
[[nodiscard]] std::string python_candidates();

}  // namespace parbench::subprocess
