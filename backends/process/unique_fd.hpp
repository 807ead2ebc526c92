#pragma once
// File descriptors owned by RAII, and transfers that survive EINTR and short counts.

#include <sys/types.h>

#include <cstddef>
#include <utility>

namespace parbench::process {

/// Owns one file descriptor; closes it on destruction.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the owned descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

struct pipe_fds {
  unique_fd read;
  unique_fd write;
};

/// A close-on-exec pipe; throws run_error when the system refuses.
pipe_fds make_pipe();

/// Writes all `size` bytes, retrying EINTR and short writes. Async-signal-safe (usable in a
/// forked child). Returns false on error with errno set.
bool write_all(int fd, const void* data, std::size_t size) noexcept;

/// Reads until `size` bytes or end of file, retrying EINTR. Returns the byte count, or -1 on
/// error with errno set.
ssize_t read_full(int fd, void* data, std::size_t size) noexcept;

}  // namespace parbench::process
