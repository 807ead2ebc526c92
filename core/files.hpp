#pragma once
// The one way parbench opens files it writes and reads (docs/reliability.md). Written files:
// never through a symbolic link or onto a device, pipe or folder planted at the path (the
// link's target would be overwritten). Read files: regular files only, and only so large
// (a FIFO would block forever, /dev/zero would be read until memory runs out).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/errors.hpp"

namespace parbench::files {

/// The largest input file parbench reads (suite files, report files): far more than any real one.
inline constexpr std::size_t max_input_bytes = std::size_t{256} << 20;

/// Deeper nesting in an input JSON file is refused (exit 2): parbench's own files nest a few
/// levels, and code that walks a parsed document (flattening, dump) recurses once per level.
inline constexpr int max_json_depth = 64;

/// A parser callback for nlohmann::json::parse that enforces max_json_depth for `source`.
template <class Json>
auto json_depth_limit(std::string_view source) {
  return [source](int depth, typename Json::parse_event_t, Json&) {
    if (depth > max_json_depth)
      throw usage_error(fmt::format("{}: JSON nested more than {} levels deep; parbench's files nest a few levels",
                                    source, max_json_depth));
    return true;
  };
}

/// Throws report_error (exit 4) when something other than a regular file is at `path`: a
/// symbolic link (replacing or opening it would write through it), a folder, a device, a pipe.
/// Nothing at the path is fine.
inline void refuse_unsafe_target(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  const char* what = S_ISLNK(st.st_mode)   ? "it is a symbolic link, which parbench does not write through"
                     : S_ISDIR(st.st_mode) ? "a folder of that name is in the way"
                                           : "it exists and is not a regular file (a device, pipe or socket)";
  throw report_error(fmt::format("cannot write '{}': {}; remove it or choose another path", path.string(), what));
}

/// open(2) for writing a file parbench owns: never follows a symbolic link, never opens
/// anything but a regular file (both throw report_error). Other failures return -1 with errno.
inline int open_for_writing(const std::filesystem::path& path, int flags, mode_t mode = 0644) {
  // O_NONBLOCK: a FIFO at the path must not block the open; it is refused below.
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0) {
    const int err = errno;
    refuse_unsafe_target(path);  // a link (ELOOP) or a socket (ENXIO) get their own message
    errno = err;
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    refuse_unsafe_target(path);
    throw report_error(fmt::format("cannot write '{}': it is not a regular file", path.string()));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/// The whole of an input file (`what`: "suite file", ...). Throws usage_error (exit 2) when it
/// cannot be opened, is not a regular file, or is larger than max_input_bytes.
inline std::string read_input(const std::filesystem::path& path, std::string_view what) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw usage_error(fmt::format("cannot open {} '{}': {}", what, path.string(), std::strerror(errno)));
  struct fd_closer {
    int fd;
    ~fd_closer() { ::close(fd); }
  } const closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw usage_error(fmt::format("cannot read {} '{}': {}", what, path.string(), std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw usage_error(fmt::format("{} '{}' is a folder; pass a file", what, path.string()));
  if (!S_ISREG(st.st_mode))
    throw usage_error(fmt::format("{} '{}' is not a regular file (a device, pipe or socket); pass a regular file", what,
                                  path.string()));
  const auto too_large = [&] {
    return usage_error(fmt::format("{} '{}' is larger than {} MiB; parbench reads no input that large", what,
                                   path.string(), max_input_bytes >> 20));
  };
  if (static_cast<std::size_t>(st.st_size) > max_input_bytes) throw too_large();
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw usage_error(fmt::format("cannot read {} '{}': {}", what, path.string(), std::strerror(errno)));
    if (n == 0) return text;
    // A file can grow while it is read (or report size 0, like files in /proc).
    if (text.size() + static_cast<std::size_t>(n) > max_input_bytes) throw too_large();
    text.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace parbench::files
