#include "core/signals.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/errors.hpp"

namespace parbench::signals {
namespace {

using steady = std::chrono::steady_clock;

struct watcher_state {
  std::mutex mutex;
  std::condition_variable idle;  // depth dropped to 0
  int depth = 0;
  bool stopping = false;
  std::map<std::uint64_t, std::function<void()>> actions;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::pair<steady::time_point, std::string>> deadlines;
  // When the watcher wakes next by itself (none: only for a signal or a wake-up).
  std::optional<steady::time_point> scheduled;
  int signal_fd = -1;
  int wake_fd = -1;
};

// Never destroyed: the watcher thread may still run while static destructors do.
watcher_state& state() {
  static auto* s = new watcher_state;
  return *s;
}

std::atomic<bool> installed_flag{false};
std::atomic<bool> stopping_flag{false};

sigset_t interrupt_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  return set;
}

void say(const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// The threads whose children an interrupt kills: the main thread always, and every thread
// that forked (pthread_atfork) or said it starts children (note_child_creator). Reading the
// children of only these, not of every thread, keeps the cleanup to a few system calls: with
// 1024 busy worker threads on 2 cores this thread gets about 1/500 of a core, and a scan of
// every thread's children file took 3 s there. A creator that has exited hands its children
// to the first live thread, the main thread, so none is missed.
constexpr int max_creators = 64;
std::atomic<pid_t> creators[max_creators];
std::atomic<int> creator_count{0};
std::atomic<bool> creators_overflowed{false};

pid_t this_thread_id() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

void note_creator(pid_t tid) noexcept {
  const int n = std::min(creator_count.load(std::memory_order_acquire), max_creators);
  for (int i = 0; i < n; ++i)
    if (creators[i].load(std::memory_order_relaxed) == tid) return;
  const int slot = creator_count.fetch_add(1, std::memory_order_acq_rel);
  if (slot >= max_creators) {
    creators_overflowed.store(true, std::memory_order_release);
    return;
  }
  creators[slot].store(tid, std::memory_order_release);
}

// SIGKILLs the children listed in /proc/self/task/<tid>/children (ids separated by spaces).
// Returns false when the file cannot be read (the thread has exited).
bool kill_children_of(pid_t tid) noexcept {
  char path[64];
  (void)std::snprintf(path, sizeof path, "/proc/self/task/%d/children", static_cast<int>(tid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[4096];
  long pid = 0;
  const auto kill_pending = [&pid] {
    if (pid > 0 && pid <= INT_MAX) ::kill(static_cast<pid_t>(pid), SIGKILL);
    pid = 0;
  };
  ssize_t n = 0;
  while ((n = ::read(fd, text, sizeof text)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (text[i] >= '0' && text[i] <= '9')
        pid = pid * 10 + (text[i] - '0');  // a number cut by one read continues in the next
      else
        kill_pending();
    }
  }
  kill_pending();
  ::close(fd);
  return true;
}

// Every thread's children, for when the creators are not all known (more than fit the list).
void kill_children_of_every_thread() {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return;
  while (const dirent* task = ::readdir(tasks)) {
    char* end = nullptr;
    const long tid = std::strtol(task->d_name, &end, 10);
    if (end != task->d_name && *end == '\0' && tid > 0 && tid <= INT_MAX) kill_children_of(static_cast<pid_t>(tid));
  }
  ::closedir(tasks);
}

// SIGKILL for every direct child of this process. Children inherit the blocked interrupt
// signals, so they would not stop on their own; the dead children are reaped by init (or a
// subreaper) once this process is gone.
void kill_children() {
  if (creators_overflowed.load(std::memory_order_acquire) || !kill_children_of(::getpid())) {
    kill_children_of_every_thread();
    return;
  }
  const int n = std::min(creator_count.load(std::memory_order_acquire), max_creators);
  for (int i = 0; i < n; ++i) {
    const pid_t tid = creators[i].load(std::memory_order_acquire);
    if (tid > 0 && tid != ::getpid()) kill_children_of(tid);
  }
}

// Waits for critical sections, then runs the cleanup actions and kills the children.
// Returns with the mutex held, so nothing registers or enters a section afterwards.
std::unique_lock<std::mutex> stop_everything() {
  watcher_state& s = state();
  std::unique_lock lock(s.mutex);
  s.stopping = true;
  stopping_flag = true;
  s.idle.wait(lock, [&] { return s.depth == 0; });
  for (auto it = s.actions.rbegin(); it != s.actions.rend(); ++it) {
    try {
      it->second();
    } catch (...) {  // an action must not keep the others from running
    }
  }
  kill_children();
  return lock;
}

[[noreturn]] void end_by_signal(int sig) {
  const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
  say(fmt::format("parbench: interrupted by {}; workers stopped, unfinished report files removed (exit code {})\n",
                  name, 128 + sig));
  auto lock = stop_everything();
  std::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);  // not reached: the default action of sig ends the process
}

[[noreturn]] void end_by_deadline(const std::string& what) {
  say(fmt::format("parbench: error: {}\n", what));
  auto lock = stop_everything();
  ::_exit(static_cast<int>(exit_code::run_failed));
}

// Asks for a short time slice (0.1 ms instead of about 3). Since Linux 6.12 the scheduler
// lets a woken thread with a shorter slice run first, which halves the time from a signal
// to the watcher running when 1024 busy threads share 2 cores (0.6-0.8 s to 0.3-0.5 s for
// threads at W = 1024). It changes no priority, needs no privilege, and older kernels ignore it.
void ask_for_short_slice() noexcept {
  // struct sched_attr of <linux/sched/types.h> (its first version), which cannot be included
  // together with glibc's <sched.h>.
  struct {
    std::uint32_t size, sched_policy;
    std::uint64_t sched_flags;
    std::int32_t sched_nice;
    std::uint32_t sched_priority;
    std::uint64_t sched_runtime, sched_deadline, sched_period;
  } attr{};
  attr.size = sizeof attr;
  attr.sched_policy = SCHED_OTHER;
  attr.sched_runtime = 100'000;  // ns
  (void)::syscall(SYS_sched_setattr, 0, &attr, 0U);
}

void watch() {
  ask_for_short_slice();
  watcher_state& s = state();
  while (true) {
    int timeout_ms = -1;
    std::optional<std::string> expired;
    {
      std::lock_guard lock(s.mutex);
      const auto first = std::min_element(s.deadlines.begin(), s.deadlines.end(),
                                          [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
      s.scheduled.reset();
      if (first != s.deadlines.end()) {
        s.scheduled = first->second.first;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(first->second.first - steady::now()).count();
        if (left <= 0)
          expired = first->second.second;
        else
          timeout_ms = static_cast<int>(std::min<long long>(left, INT_MAX));
      }
    }
    if (expired) end_by_deadline(*expired);
    pollfd fds[2] = {{s.signal_fd, POLLIN, 0}, {s.wake_fd, POLLIN, 0}};
    const int n = ::poll(fds, 2, timeout_ms);
    if (n < 0) continue;  // EINTR
    if ((fds[1].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      (void)!::read(s.wake_fd, &count, sizeof count);
    }
    if ((fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(s.signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
        end_by_signal(static_cast<int>(info.ssi_signo));
    }
  }
}

}  // namespace

void install() {
  if (installed_flag.exchange(true)) return;
  watcher_state& s = state();
  const sigset_t set = interrupt_set();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  s.signal_fd = ::signalfd(-1, &set, SFD_CLOEXEC);
  s.wake_fd = ::eventfd(0, EFD_CLOEXEC);
  if (s.signal_fd < 0 || s.wake_fd < 0)
    throw run_error(fmt::format("cannot set up interrupt handling: {}", std::strerror(errno)));
  ::pthread_atfork(nullptr, note_child_creator, nullptr);  // in the parent, after each fork()
  std::thread(watch).detach();
}

void note_child_creator() noexcept { note_creator(this_thread_id()); }

bool installed() noexcept { return installed_flag; }

void wait_if_stopping() noexcept {
  // The interrupt signals are blocked in this thread, so pause() sleeps until the watcher
  // ends the process.
  while (stopping_flag) ::pause();
}

namespace {
void wake_watcher() {
  const std::uint64_t one = 1;
  if (state().wake_fd >= 0) (void)!::write(state().wake_fd, &one, sizeof one);
}
}  // namespace

deadline::deadline(std::chrono::milliseconds limit, std::string what) {
  if (limit.count() <= 0) return;
  watcher_state& s = state();
  const auto when = steady::now() + limit;
  bool earlier = false;
  {
    std::lock_guard lock(s.mutex);
    id_ = s.next_id++;
    s.deadlines.emplace(id_, std::make_pair(when, std::move(what)));
    earlier = !s.scheduled || when < *s.scheduled;
  }
  // Only a deadline before the watcher's next wake-up needs to wake it: measured runs in a
  // loop each set one, and waking a thread per run would disturb the measurement.
  if (earlier) wake_watcher();
}

deadline::~deadline() {
  if (id_ == 0) return;
  watcher_state& s = state();
  std::lock_guard lock(s.mutex);
  s.deadlines.erase(id_);
  // No wake-up needed: the watcher finds the deadline gone when its poll times out.
}

critical_section::critical_section() {
  watcher_state& s = state();
  std::unique_lock lock(s.mutex);
  // Once stopping, the process is about to end: never start a new section.
  s.idle.wait(lock, [&] { return !s.stopping; });
  ++s.depth;
}

critical_section::~critical_section() {
  watcher_state& s = state();
  std::lock_guard lock(s.mutex);
  if (--s.depth == 0) s.idle.notify_all();
}

cleanup::cleanup(std::function<void()> action) {
  watcher_state& s = state();
  std::lock_guard lock(s.mutex);
  id_ = s.next_id++;
  s.actions.emplace(id_, std::move(action));
}

cleanup::~cleanup() {
  watcher_state& s = state();
  std::lock_guard lock(s.mutex);
  s.actions.erase(id_);
}

}  // namespace parbench::signals
