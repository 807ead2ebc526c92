#include "bench/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace parbench::bench {

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

progress::progress(bool quiet, bool tty) : quiet_(quiet), tty_(tty) {}

progress::~progress() { clear_line(); }

void progress::clear_line() {
  if (line_open_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    line_open_ = false;
  }
}

void progress::phase(std::string_view what, std::size_t steps, double total_weight) {
  finish();
  phase_ = std::string(what);
  steps_ = steps;
  done_ = 0;
  total_weight_ = total_weight;
  done_weight_ = 0;
  last_decile_ = 0;
  start_ = std::chrono::steady_clock::now();
  if (!quiet_ && !tty_) fmt::print(stderr, "parbench: {} ({} steps)\n", phase_, steps_);
}

void progress::step(std::string_view label, double weight) {
  ++done_;
  done_weight_ += weight;
  if (quiet_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double left = done_weight_ > 0 ? elapsed * std::max(0.0, total_weight_ - done_weight_) / done_weight_ : 0;
  if (tty_) {
    fmt::print(stderr, "\r\033[K[{}/{}] {}: {}  ETA {:.0f}s", std::min(done_, steps_), steps_, phase_, label, left);
    std::fflush(stderr);
    line_open_ = true;
    return;
  }
  const int decile = steps_ == 0 ? 10 : static_cast<int>(std::min<std::size_t>(10, 10 * done_ / steps_));
  if (decile > last_decile_) {
    last_decile_ = decile;
    fmt::print(stderr, "parbench: {}: {}/{} done, {:.0f}s elapsed, ETA {:.0f}s\n", phase_, std::min(done_, steps_),
               steps_, elapsed, left);
  }
}

void progress::note(std::string_view text) {
  clear_line();
  fmt::print(stderr, "parbench: {}\n", text);
}

void progress::finish() { clear_line(); }

}  // namespace parbench::bench
