#include "backends/process/worker.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>

#include "backends/process/unique_fd.hpp"
#include "core/errors.hpp"

namespace parbench::process {

std::optional<fault_mode> parse_fault_mode(std::string_view text) noexcept {
  if (text == "none") return fault_mode::none;
  if (text == "crash") return fault_mode::crash;
  if (text == "hang") return fault_mode::hang;
  if (text == "short") return fault_mode::short_;
  if (text == "garbage") return fault_mode::garbage;
  if (text == "exit") return fault_mode::exit;
  if (text == "start") return fault_mode::start;
  return std::nullopt;
}

std::string_view to_string(fault_mode mode) noexcept {
  switch (mode) {
    case fault_mode::none: return "none";
    case fault_mode::crash: return "crash";
    case fault_mode::hang: return "hang";
    case fault_mode::short_: return "short";
    case fault_mode::garbage: return "garbage";
    case fault_mode::exit: return "exit";
    case fault_mode::start: return "start";
  }
  return "none";
}

fault_spec fault_from_env(std::string_view backend) {
  const char* value = std::getenv("PARBENCH_FAULT");
  if (value == nullptr || *value == '\0') return {};
  const std::string_view text(value);
  const auto bad = [&] {
    return usage_error(
        fmt::format("PARBENCH_FAULT='{}' is malformed: expected <backend>:<worker>:<mode> with mode "
                    "crash, hang, short, garbage, exit or start (a test-only hook; unset it for real runs)",
                    text));
  };
  const auto c1 = text.find(':');
  const auto c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) throw bad();
  if (text.substr(0, c1) != backend) return {};
  const std::string_view number = text.substr(c1 + 1, c2 - c1 - 1);
  unsigned worker = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), worker);
  if (ec != std::errc{} || end != number.data() + number.size() || number.empty()) throw bad();
  const auto mode = parse_fault_mode(text.substr(c2 + 1));
  if (!mode) throw bad();
  return {worker, *mode};
}

void bind_to_parent(pid_t parent) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between fork and prctl; then nobody would kill us.
  if (::getppid() != parent) ::_exit(worker_status_write_failed);
}

void run_worker(const assignment& a, int result_fd) noexcept {
  switch (a.fault) {
    case fault_mode::crash: {
      const rlimit no_core{0, 0};
      ::setrlimit(RLIMIT_CORE, &no_core);  // a test crash must not write core files
      ::signal(SIGSEGV, SIG_DFL);
      ::raise(SIGSEGV);
      ::_exit(worker_status_kernel_failed);
    }
    case fault_mode::hang:
      for (;;) ::pause();
    case fault_mode::exit: ::_exit(fault_exit_status);
    default: break;
  }
  result_message message;
  message.magic = a.fault == fault_mode::garbage ? ~result_magic : result_magic;
  message.worker = a.worker;
  try {
    message.hits = a.first_chunk == a.last_chunk ? 0 : kernels::count_hits(a.job, a.first_chunk, a.last_chunk);
  } catch (...) {
    ::_exit(worker_status_kernel_failed);
  }
  const std::size_t size = a.fault == fault_mode::short_ ? sizeof message / 2 : sizeof message;
  ::_exit(write_all(result_fd, &message, size) ? 0 : worker_status_write_failed);
}

}  // namespace parbench::process
