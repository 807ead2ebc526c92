#pragma once
// Progress of a run on stderr: on a terminal one updating line (step i of n, what is
// measured, ETA); otherwise plain lines (the phase, then every 10%), or nothing when quiet.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace parbench::bench {

class progress {
 public:
  /// `tty`: stderr is a terminal (use stderr_is_tty()).
  progress(bool quiet, bool tty);
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;
  ~progress();

  /// Starts a phase of `steps` steps whose expected total cost is `total_weight` (any unit).
  void phase(std::string_view what, std::size_t steps, double total_weight);
  /// One step of expected cost `weight` is done; `label` says what it was.
  void step(std::string_view label, double weight);
  /// A line of its own (skipped backend, warning), also when quiet is off.
  void note(std::string_view text);
  /// Ends the current phase (clears the terminal line).
  void finish();

 private:
  void clear_line();
  bool quiet_;
  bool tty_;
  std::string phase_;
  std::size_t steps_ = 0, done_ = 0;
  double total_weight_ = 0, done_weight_ = 0;
  int last_decile_ = 0;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point start_;
};

bool stderr_is_tty();

}  // namespace parbench::bench
