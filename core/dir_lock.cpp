#include "core/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/errors.hpp"
#include "core/files.hpp"

namespace parbench {
namespace {

std::string holder_of(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown pid" : "pid " + pid;
}

}  // namespace

dir_lock::dir_lock(const std::filesystem::path& dir) : path_(dir / dir_lock_file) {
  // A holder removes the file while it still holds the lock, so after locking we check that
  // the file is still the one at the path; if not, it belonged to a finished run: retry.
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Never through a link or onto a device planted at the path (core/files.hpp): it would be
    // overwritten with our pid and removed afterwards.
    const int fd = files::open_for_writing(path_, O_RDWR | O_CREAT);
    if (fd < 0)
      throw report_error(fmt::format("cannot create the lock file '{}': {}; choose a writable folder with --out",
                                     path_.string(), std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = err == EWOULDBLOCK ? holder_of(fd) : std::string();
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw report_error(
            fmt::format("report folder '{}' is in use by another parbench run ({}); wait for it "
                        "to finish or choose another --out",
                        dir.string(), holder));
      throw report_error(fmt::format("cannot lock '{}': {}", path_.string(), std::strerror(err)));
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) == 0 && ::lstat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      fd_ = fd;
      break;
    }
    ::close(fd);
  }
  if (fd_ < 0) throw report_error(fmt::format("cannot lock '{}': it keeps being replaced", path_.string()));
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::unlink(path_.c_str());
    ::close(fd_);
    throw report_error(
        fmt::format("cannot write the lock file '{}': {} (disk full?)", path_.string(), std::strerror(err)));
  }
  on_interrupt_.emplace([path = path_] { ::unlink(path.c_str()); });
}

dir_lock::~dir_lock() {
  on_interrupt_.reset();
  // Unlink before unlocking: a waiter that locked the old file then sees it is gone.
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace parbench
