#include "bench/ballast.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"

namespace parbench::bench {

resident_ballast::resident_ballast(std::uint64_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw usage_error(
        fmt::format("--parent-memory: cannot map {} bytes: {}; choose a smaller size", bytes, std::strerror(errno)));
  data_ = p;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  // Volatile writes: the pages must really become resident.
  auto* bytes_ptr = static_cast<volatile unsigned char*>(p);
  for (std::uint64_t i = 0; i < bytes; i += page) bytes_ptr[i] = 1;
}

resident_ballast::~resident_ballast() {
  if (data_ != nullptr) ::munmap(data_, bytes_);
}

}  // namespace parbench::bench
