#pragma once
// Typed errors thrown by set-up, CLI and harness code; `main` maps them to the
// product-wide exit codes. Workers never throw across a process boundary: they
// return a status that the parent turns into a `run_error`.

#include <stdexcept>
#include <string>

namespace parbench {

/// Product-wide exit codes (README, "Exit codes").
enum class exit_code : int {
  ok = 0,
  regression = 1,
  usage = 2,
  run_failed = 3,
  report_io = 4,
};

/// Base of every error that `main` reports with a message and an exit code.
class error : public std::runtime_error {
 public:
  error(exit_code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] exit_code code() const noexcept { return code_; }

 private:
  exit_code code_;
};

/// Bad command line, bad input file, or a request this build cannot serve (exit 2).
class usage_error : public error {
 public:
  explicit usage_error(const std::string& what) : error(exit_code::usage, what) {}
};

/// A worker died, hung, returned garbage, or a run failed its self-check (exit 3).
class run_error : public error {
 public:
  explicit run_error(const std::string& what) : error(exit_code::run_failed, what) {}
};

/// A report could not be written or read (exit 4).
class report_error : public error {
 public:
  explicit report_error(const std::string& what) : error(exit_code::report_io, what) {}
};

}  // namespace parbench
