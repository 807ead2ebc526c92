#pragma once
// Progress of a run on stderr, or nothing when quiet.
// - On a terminal: one updating line "[i/n] ETA Xs phase: label", cut to the terminal's width
//   minus one column (TIOCGWINSZ on stderr, else $COLUMNS, else 80), so that it never wraps and
//   each update overwrites the last one whole.
// - Otherwise (a log, CI): a few lines per phase: the phase and its step count when it starts;
//   "i/n done, elapsed, ETA" at most once every 10 s (progress_report_interval), and only once
//   10 s have passed; "done in X s" when it ends, only when it took 5 s or more
//   (progress_done_after). A 1 s run thus prints one line per phase.
// note() lines are printed in both modes, also when quiet.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace parbench::bench {

/// Lines without a terminal: at most one progress line per phase in this interval.
inline constexpr std::chrono::seconds progress_report_interval{10};
/// Lines without a terminal: a phase that took at least this long gets a closing line.
inline constexpr std::chrono::seconds progress_done_after{5};

/// Where progress goes; the defaults are stderr, its terminal's width and the steady clock.
struct progress_output {
  std::FILE* stream = stderr;
  /// Columns of the terminal; 0 = ask (terminal_width()).
  unsigned width = 0;
  /// The clock elapsed times and the 10 s interval are read from; empty = steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

class progress {
 public:
  /// `tty`: the stream is a terminal (use stderr_is_tty()).
  progress(bool quiet, bool tty, progress_output out = {});
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;
  ~progress();

  /// Starts a phase of `steps` steps whose expected total cost is `total_weight` (any unit).
  void phase(std::string_view what, std::size_t steps, double total_weight);
  /// One step of expected cost `weight` is done; `label` says what it was.
  void step(std::string_view label, double weight);
  /// A line of its own (skipped backend, warning), also when quiet is on.
  void note(std::string_view text);
  /// Ends the current phase (clears the terminal line; the closing line of a long phase).
  void finish();

 private:
  void clear_line();
  [[nodiscard]] std::chrono::steady_clock::time_point now() const;
  [[nodiscard]] unsigned width() const;
  bool quiet_;
  bool tty_;
  progress_output out_;
  std::string phase_;
  std::size_t steps_ = 0, done_ = 0;
  double total_weight_ = 0, done_weight_ = 0;
  bool line_open_ = false;
  bool phase_open_ = false;
  std::chrono::steady_clock::time_point start_, last_report_;
};

bool stderr_is_tty();

/// The width of the terminal on stderr (TIOCGWINSZ), else $COLUMNS, else 80.
unsigned terminal_width();

/// `line` cut to at most `columns` columns (UTF-8 sequences kept whole; one column each).
std::string fit_to_width(std::string_view line, unsigned columns);

}  // namespace parbench::bench
