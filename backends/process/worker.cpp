#include "backends/process/worker.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <utility>

#include "backends/process/unique_fd.hpp"
#include "core/affinity.hpp"
#include "core/errors.hpp"
#include "core/job_codec.hpp"

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

void check_fault_env() {
  const char* value = std::getenv("PARBENCH_FAULT");
  if (value == nullptr || *value == '\0') return;
  const std::string_view text(value);
  const std::string_view backend = text.substr(0, text.find(':'));
  // The backends that call fault_from_env (supervise.cpp's plan_for).
  if (backend != "fork" && backend != "spawn" && backend != "forkserver" && text.find(':') != std::string_view::npos)
    throw usage_error(
        fmt::format("PARBENCH_FAULT='{}' names backend '{}', which has no fault hook: choose fork, spawn or "
                    "forkserver (a test-only hook; unset it for real runs)",
                    text, backend));
  (void)fault_from_env(backend);  // throws when the rest is malformed
}

std::string encode_assignment_job(const assignment& a) {
  return codec::encode_job(a.job ? a.job->spec() : job_spec{}, a.range);
}

std::string encode_result(const worker_result& r, std::uint32_t magic) {
  codec::writer w;
  w.u32(r.worker);
  w.u64(r.range.first);
  w.u64(r.range.last);
  w.words(r.words);
  return w.finish(magic);
}

worker_result decode_result(std::string_view message) {
  codec::reader r(message, codec::result_magic);
  worker_result out;
  out.worker = r.u32();
  out.range.first = r.u64();
  out.range.last = r.u64();
  out.words = r.words();
  r.finish();
  return out;
}

std::size_t result_message_size(std::size_t words) noexcept { return codec::header_size + 4 + 8 + 8 + 8 + 8 * words; }

std::string encode_task(const std::optional<task>& t) {
  codec::writer w;
  w.u32(t ? 1 : 0);
  w.u64(t ? t->range.first : 0);
  w.u64(t ? t->range.last : 0);
  w.u64(t ? t->key : 0);
  return w.finish(codec::task_magic);
}

std::optional<task> decode_task(std::string_view message) {
  codec::reader r(message, codec::task_magic);
  const std::uint32_t kind = r.u32();
  task t;
  t.range = {r.u64(), r.u64()};
  t.key = r.u64();
  r.finish();
  if (kind > 1) throw codec::codec_error("unknown task kind");
  if (t.range.first > t.range.last) throw codec::codec_error("chunk range ends before it starts");
  if (kind == 0) return std::nullopt;
  return t;
}

void bind_to_parent(pid_t parent) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between fork and prctl; then nobody would kill us.
  if (::getppid() != parent) ::_exit(worker_status_write_failed);
}

namespace {

// The partial result of `range` under the step key `key`; _exits with
// worker_status_kernel_failed when the kernel throws.
result_words compute_or_exit(const assignment& a, chunk_range range, std::uint64_t key) noexcept {
  try {
    result_words words = a.job ? identity(a.job->layout()) : result_words{};
    if (a.job && !range.empty()) a.job->accumulate_step(key, range, words);
    return words;
  } catch (...) {
    ::_exit(worker_status_kernel_failed);
  }
}

// Sends one result; the short and garbage faults spoil the first one and end the worker.
void send_result(const assignment& a, chunk_range range, result_words words, int result_fd) noexcept {
  try {
    const bool garbage = a.fault == fault_mode::garbage;
    const std::string message =
        encode_result({a.worker, range, std::move(words)}, garbage ? ~codec::result_magic : codec::result_magic);
    const std::size_t size = a.fault == fault_mode::short_ ? message.size() / 2 : message.size();
    if (!write_all(result_fd, message.data(), size)) ::_exit(worker_status_write_failed);
    if (garbage || a.fault == fault_mode::short_) ::_exit(0);
  } catch (...) {
    ::_exit(worker_status_write_failed);
  }
}

// The next task from the parent; nullopt at the end marker or end of file. Exits with
// worker_status_bad_task for anything that is not a valid task inside the worker's range.
std::optional<task> next_task(const assignment& a, int task_fd) noexcept {
  try {
    std::string message(codec::header_size, '\0');
    const ssize_t got = read_full(task_fd, message.data(), message.size());
    if (got == 0) return std::nullopt;
    if (got != static_cast<ssize_t>(message.size())) ::_exit(worker_status_bad_task);
    const std::uint64_t size = codec::frame_size(message);
    if (size == UINT64_MAX) ::_exit(worker_status_bad_task);
    message.resize(static_cast<std::size_t>(size));
    const std::size_t rest = message.size() - codec::header_size;
    if (read_full(task_fd, message.data() + codec::header_size, rest) != static_cast<ssize_t>(rest))
      ::_exit(worker_status_bad_task);
    const auto task = decode_task(message);
    if (task && (task->range.first < a.range.first || task->range.last > a.range.last)) ::_exit(worker_status_bad_task);
    return task;
  } catch (...) {
    ::_exit(worker_status_bad_task);
  }
}

// Blocks until the parent has started every worker (one byte of the start barrier), so that a
// busy worker never competes with the parent while it is still starting the others: with W
// workers on C cores the parent would get about C/k of the machine while k workers compute,
// and starting W workers would take time quadratic in W.
void wait_for_start(int start_fd) noexcept {
  if (start_fd < 0) return;
  char go = 0;
  ssize_t got = 0;
  do got = ::read(start_fd, &go, 1);
  while (got < 0 && errno == EINTR);
  if (got != 1) ::_exit(worker_status_write_failed);  // the parent closed the barrier: it gave up
}

}  // namespace

void run_worker(const assignment& a, int result_fd, int task_fd) noexcept {
  if (!pin_worker_process("process", a.cpu, a.worker)) ::_exit(worker_status_pin_failed);
  wait_for_start(a.start_fd);
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
  // A kernel with memory: this process's page tables get its chunks' pages in one go.
  if (a.job && !a.range.empty()) a.job->map_for_worker(a.range);
  if (!a.takes_tasks) {
    const std::uint64_t key = a.job ? a.job->first_key() : 0;
    send_result(a, a.range, compute_or_exit(a, a.range, key), result_fd);
    ::_exit(0);
  }
  while (const auto t = next_task(a, task_fd))
    send_result(a, t->range, compute_or_exit(a, t->range, t->key), result_fd);
  ::_exit(0);
}

}  // namespace parbench::process
