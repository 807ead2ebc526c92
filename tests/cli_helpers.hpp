#pragma once
// Runs the real parbench binary and captures its exit code and output.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace parbench::test {

struct command_result {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs a shell command line, stdout and stderr together.
inline command_result run_command(const std::string& command_line) {
  const std::string cmd = command_line + " 2>&1";
  command_result r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline command_result run_parbench(const std::string& args) {
  return run_command(std::string(PARBENCH_BINARY) + " " + args);
}

}  // namespace parbench::test
