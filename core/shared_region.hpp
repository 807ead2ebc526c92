#pragma once
// Memory shared by every worker of a run, whatever the model: one memfd mapped MAP_SHARED.
// Threads use the mapping directly; forked workers inherit it at the same address; spawned and
// forkserver workers map the descriptor they are handed (adopt_region_fd). A memfd has no name
// in any file system, so nothing is left behind when the last worker and the parent are gone,
// however they end. Pages are allocated on first touch, by whoever touches them first.

#include <cstddef>
#include <cstdint>
#include <string>

namespace parbench {

class shared_region {
 public:
  shared_region() = default;
  /// A new region of `bytes` (rounded up to whole pages), or, when this process adopted a
  /// descriptor (adopt_region_fd), that one mapped. `what` names the region in errors.
  /// Throws usage_error when `bytes` exceeds the memory available (MemAvailable), before
  /// anything is allocated; run_error when the system refuses.
  shared_region(std::size_t bytes, std::string_view what);
  ~shared_region();
  shared_region(const shared_region&) = delete;
  shared_region& operator=(const shared_region&) = delete;
  shared_region(shared_region&& other) noexcept;
  shared_region& operator=(shared_region&& other) noexcept;

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// Gives every page back (the contents become zero): the next touch allocates afresh, so
  /// that a set-up pass places the pages where its workers run.
  void release_pages() noexcept;
  /// Maps the pages of [first, last) (inside the region) into this process's page tables in
  /// one call (MADV_POPULATE_WRITE, or _READ for pages only read), so that a fresh worker process does not take one
  /// fault per page; a no-op where the kernel lacks it.
  void populate(const void* first, const void* last, bool for_writing) const noexcept;

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
};

/// Bytes of memory available to new allocations (/proc/meminfo MemAvailable); 0 if unknown.
[[nodiscard]] std::uint64_t available_memory_bytes() noexcept;

/// In a worker process: the next shared_region maps `fd` instead of creating one (and takes
/// ownership of it); -1 stops adopting. Returns the descriptor adopted before and not taken
/// by a region since (the caller closes it), or -1. Process-wide: workers run one job at a time.
int adopt_region_fd(int fd) noexcept;

}  // namespace parbench
