#include "core/shared_region.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "core/errors.hpp"

namespace parbench {
namespace {

std::atomic<int> adopted{-1};

std::string gib(std::uint64_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1u << 30)); }

}  // namespace

int adopt_region_fd(int fd) noexcept { return adopted.exchange(fd); }

std::uint64_t available_memory_bytes() noexcept {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

shared_region::shared_region(std::size_t bytes, std::string_view what) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const int given = adopted.exchange(-1);
  if (given >= 0) {
    struct stat st {};
    if (::fstat(given, &st) != 0 || static_cast<std::size_t>(st.st_size) < bytes) {
      ::close(given);
      throw run_error(fmt::format("{}: the shared memory handed to this worker is missing or too small", what));
    }
    fd_ = given;
    size_ = static_cast<std::size_t>(st.st_size);
  } else {
    size_ = (std::max<std::size_t>(bytes, 1) + page - 1) / page * page;
    const std::uint64_t available = available_memory_bytes();
    if (available != 0 && size_ > available)
      throw usage_error(
          fmt::format("{} needs {} of memory, more than the {} available (MemAvailable); choose a "
                      "smaller size",
                      what, gib(size_), gib(available)));
    fd_ = ::memfd_create("parbench", MFD_CLOEXEC);
    if (fd_ < 0) throw run_error(fmt::format("{}: memfd_create failed: {}", what, std::strerror(errno)));
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      const int err = errno;
      ::close(fd_);
      throw run_error(
          fmt::format("{}: could not size its shared memory to {}: {}", what, gib(size_), std::strerror(err)));
    }
  }
  void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    ::close(fd_);
    throw run_error(fmt::format("{}: could not map {} of shared memory: {}", what, gib(size_), std::strerror(err)));
  }
  data_ = static_cast<std::byte*>(p);
}

shared_region::~shared_region() {
  if (data_ != nullptr) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
}

shared_region::shared_region(shared_region&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)) {}

shared_region& shared_region::operator=(shared_region&& other) noexcept {
  if (this != &other) {
    this->~shared_region();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void shared_region::populate(const void* first, const void* last, bool for_writing) const noexcept {
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto lo = reinterpret_cast<std::uintptr_t>(first) / page * page;
  const auto hi = reinterpret_cast<std::uintptr_t>(last);
  if (hi > lo)
    (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, for_writing ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
#else
  (void)first;
  (void)last;
  (void)for_writing;
#endif
}

void shared_region::release_pages() noexcept {
  if (fd_ < 0) return;
  // Punching the whole file frees its pages in every process that maps it.
  (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size_));
}

}  // namespace parbench
