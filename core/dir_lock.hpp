#pragma once
// One writer per report folder: `parbench run --out DIR` holds an exclusive flock on
// DIR/.parbench.lock (which holds the writer's pid) from before the first measurement
// until the report is written, so a second run into the same folder fails at once
// instead of interleaving its files with the first.

#include <filesystem>
#include <optional>

#include "core/signals.hpp"

namespace parbench {

/// The lock file's name inside the locked folder.
inline constexpr const char* dir_lock_file = ".parbench.lock";

/// Holds the lock on an existing folder. Throws report_error (exit 4) naming the holder's
/// pid when another process holds it, or when the lock file cannot be created. The file is
/// removed on destruction and when the run is interrupted (core/signals.hpp); a file left by
/// a killed process holds no lock and is reused.
class dir_lock {
 public:
  explicit dir_lock(const std::filesystem::path& dir);
  ~dir_lock();
  dir_lock(const dir_lock&) = delete;
  dir_lock& operator=(const dir_lock&) = delete;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::optional<signals::cleanup> on_interrupt_;
};

}  // namespace parbench
