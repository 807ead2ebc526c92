#include "bench/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "core/console_text.hpp"

namespace parbench::bench {

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

unsigned terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && n > 0 && n < 100000) return static_cast<unsigned>(n);
  }
  return 80;
}

std::string fit_to_width(std::string_view line, unsigned columns) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xc0) == 0x80) continue;  // inside a UTF-8 sequence
    if (used == columns) return std::string(line.substr(0, i));
    ++used;
  }
  return std::string(line);
}

progress::progress(bool quiet, bool tty, progress_output out) : quiet_(quiet), tty_(tty), out_(std::move(out)) {}

progress::~progress() { finish(); }

std::chrono::steady_clock::time_point progress::now() const {
  return out_.clock ? out_.clock() : std::chrono::steady_clock::now();
}

unsigned progress::width() const { return out_.width > 0 ? out_.width : terminal_width(); }

void progress::clear_line() {
  if (line_open_) {
    fmt::print(out_.stream, "\r\033[K");
    std::fflush(out_.stream);
    line_open_ = false;
  }
}

void progress::phase(std::string_view what, std::size_t steps, double total_weight) {
  finish();
  phase_ = console_text(what);
  steps_ = steps;
  done_ = 0;
  total_weight_ = total_weight;
  done_weight_ = 0;
  start_ = last_report_ = now();
  phase_open_ = true;
  if (!quiet_ && !tty_) fmt::print(out_.stream, "parbench: {} ({} steps)\n", phase_, steps_);
}

void progress::step(std::string_view label, double weight) {
  ++done_;
  done_weight_ += weight;
  if (quiet_) return;
  const auto t = now();
  const double elapsed = std::chrono::duration<double>(t - start_).count();
  const double left = done_weight_ > 0 ? elapsed * std::max(0.0, total_weight_ - done_weight_) / done_weight_ : 0;
  if (tty_) {
    // One column is left free: a line as wide as the terminal wraps on some terminals. The ETA
    // comes before the label, which is what a narrow terminal cuts.
    const std::string line =
        fmt::format("[{}/{}] ETA {:.0f}s {}: {}", std::min(done_, steps_), steps_, left, phase_, console_text(label));
    fmt::print(out_.stream, "\r\033[K{}", fit_to_width(line, std::max(1u, width()) - 1));
    std::fflush(out_.stream);
    line_open_ = true;
    return;
  }
  if (t - last_report_ >= progress_report_interval && done_ < steps_) {
    last_report_ = t;
    fmt::print(out_.stream, "parbench: {}: {}/{} done, {:.0f}s elapsed, ETA {:.0f}s\n", phase_, done_, steps_, elapsed,
               left);
  }
}

void progress::note(std::string_view text) {
  clear_line();
  fmt::print(out_.stream, "parbench: {}\n", console_text(text));
}

void progress::finish() {
  clear_line();
  if (!phase_open_) return;
  phase_open_ = false;
  const auto took = now() - start_;
  if (!quiet_ && !tty_ && took >= progress_done_after)
    fmt::print(out_.stream, "parbench: {}: done in {:.0f} s\n", phase_, std::chrono::duration<double>(took).count());
}

}  // namespace parbench::bench
