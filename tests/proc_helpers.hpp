#pragma once
// Reading /proc in tests. A process can exit between listing /proc and reading one of its
// files; read() then fails with ESRCH, and libstdc++'s filebuf turns that into an exception
// even with no exception mask set. These helpers treat a vanished process as an empty file.

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <string>

namespace parbench::test {

/// The contents of `path` (e.g. /proc/<pid>/stat), or "" when it cannot be read (the process is gone).
inline std::string read_proc_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) text.append(buf.data(), static_cast<std::size_t>(n));
  ::close(fd);
  return n < 0 ? std::string() : text;
}

/// The one-letter state of process `pid` (R, S, Z, ...), or '\0' when it is gone.
inline char process_state(long pid) {
  const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '\0' : text[paren + 2];
}

}  // namespace parbench::test
