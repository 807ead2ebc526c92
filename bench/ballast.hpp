#pragma once
// Resident memory the parent touches before `parbench overhead --parent-memory`, so the
// overhead table shows how fork's cost grows with the parent's size (page tables to copy)
// while spawn and forkserver do not.

#include <cstdint>

namespace parbench::bench {

/// `bytes` of anonymous memory, every page written once; unmapped on destruction.
class resident_ballast {
 public:
  explicit resident_ballast(std::uint64_t bytes);
  ~resident_ballast();
  resident_ballast(const resident_ballast&) = delete;
  resident_ballast& operator=(const resident_ballast&) = delete;

 private:
  void* data_ = nullptr;
  std::uint64_t bytes_ = 0;
};

}  // namespace parbench::bench
