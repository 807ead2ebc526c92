#include "backends/process/supervise.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "backends/process/child.hpp"
#include "backends/process/unique_fd.hpp"
#include "core/errors.hpp"
#include "core/job_codec.hpp"
#include "core/partition.hpp"

namespace parbench::process {
namespace {

using clock = std::chrono::steady_clock;

struct slot {
  unsigned worker = 0;
  child_process child;
  unique_fd result;                 // read end of its result pipe
  unique_fd tasks;                  // tasks: the parent's end of its task channel, until the end marker
  std::string buffer;               // result bytes not yet decoded
  std::deque<chunk_range> pending;  // the chunks it owes results for, in the order given
  bool ended = false;               // tasks: the end marker was sent
  std::uint32_t given_step = 0;     // static with tasks: steps whose block it was given
  bool used = false;                // it computed at least one chunk
};

// Tasks a dynamic worker holds at once: the one it computes and the next, so that it never
// waits for the parent between two tasks (a round trip costs tens of microseconds, as much as a
// small chunk). A worker thus takes at most one task more than it needs at the end of the queue.
constexpr std::size_t tasks_in_flight = 2;

// Kills every child first so that they die in parallel, then reaps them all.
void stop_all(std::vector<slot>& slots) noexcept {
  for (auto& s : slots) s.child.kill();
  for (auto& s : slots) s.child.kill_and_reap();
}

[[noreturn]] void fail(std::string_view backend, std::vector<slot>& slots, const std::string& what) {
  stop_all(slots);
  throw run_error(fmt::format("{}: {}; the other workers were stopped", backend, what));
}

std::string worker_label(const slot& s, unsigned workers) {
  return fmt::format("worker {} of {} (pid {})", s.worker, workers, s.child.pid());
}

// `cpu`: the CPU the worker was to pin itself to (-1: not pinned).
std::string status_hint(int status, int cpu) {
  std::string text = describe_status(status);
  if (WIFEXITED(status) && WEXITSTATUS(status) == worker_status_kernel_failed) return text + " (its kernel failed)";
  if (WIFEXITED(status) && WEXITSTATUS(status) == worker_status_write_failed)
    return text + " (it could not send its result)";
  if (WIFEXITED(status) && WEXITSTATUS(status) == worker_status_bad_task) return text + " (it received a garbled task)";
  if (WIFEXITED(status) && WEXITSTATUS(status) == worker_status_pin_failed)
    return text + fmt::format(" (it could not pin itself to CPU {}: the OS refused that CPU)", cpu);
  return text;
}

// Every running worker holds one or two descriptors here; with W up to 1024 the common soft
// limit of 1024 is too small, so raise it (never beyond the hard limit) when a run needs more.
void ensure_descriptors(rlim_t needed) noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = needed + rlim_t{256};
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// A task channel: a socketpair rather than a pipe, so that a task sent to a worker that has
// just died is EPIPE (MSG_NOSIGNAL) and not a SIGPIPE for the whole harness.
struct channel_fds {
  unique_fd parent;
  unique_fd worker;
};

channel_fds make_channel() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    const int err = errno;
    throw run_error(fmt::format("could not create a task channel: {}{}", std::strerror(err),
                                err == EMFILE || err == ENFILE
                                    ? " (each worker needs descriptors: raise `ulimit -n` or lower --workers)"
                                    : ""));
  }
  return {unique_fd(fds[0]), unique_fd(fds[1])};
}

double to_seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

// The chunks of the current step still to hand out in dynamic mode, `grain` at a time.
struct task_queue {
  std::uint64_t first = 0, next = 0, last = 0, grain = 1;
  void restart() noexcept { next = first; }
  std::optional<chunk_range> take() noexcept {
    if (next == last) return std::nullopt;
    const std::uint64_t end = last - next > grain ? next + grain : last;
    const chunk_range r{next, end};
    next = end;
    return r;
  }
};

// One run: the slots, what is collected, and the checks of every answer.
class supervisor {
 public:
  supervisor(std::string_view backend, const process_plan& plan)
      : backend_(backend),
        plan_(plan),
        slots_(plan.workers),
        words_(plan.job ? plan.job->layout().size() : 0),
        queue_{plan.chunks.first, plan.chunks.first, plan.job ? plan.chunks.last : plan.chunks.first,
               std::max<std::uint64_t>(plan.grain, 1)},
        steps_(plan.job ? plan.job->step_count() : 1),
        key_(plan.job ? plan.job->first_key() : 0),
        takes_tasks_(plan.dynamic || steps_ > 1) {
    step_result_ = plan.job ? identity(plan.job->layout()) : result_words{};
  }

  process_outcome run(const launcher& launch) {
    // One deadline for the whole run: starting the workers counts against the timeout too.
    deadline_ = clock::now() + plan_.timeout;
    start(launch);
    if (takes_tasks_) maybe_end_step();
    collect();
    outcome_.result = std::move(step_result_);
    return std::move(outcome_);
  }

 private:
  void start(const launcher& launch) {
    const unsigned workers = plan_.workers;
    const chunk_range all = plan_.job ? plan_.chunks : chunk_range{plan_.chunks.first, plan_.chunks.first};
    unsigned started = 0;
    pipe_fds barrier = make_barrier();
    for (unsigned w = 0; w < workers; ++w) {
      if (timed() && clock::now() >= deadline_)
        fail(backend_, slots_,
             fmt::format("only {} of {} workers started within the timeout of {} s", started, workers,
                         to_seconds(plan_.timeout)));
      assignment a;
      a.start_fd = barrier.read.get();
      a.job = plan_.job;
      a.worker = w;
      a.takes_tasks = takes_tasks_;
      if (w < plan_.cpus.size()) a.cpu = plan_.cpus[w];
      if (plan_.dynamic) {
        a.range = all;
      } else {
        a.range = block_of(w);
      }
      if (plan_.fault.mode != fault_mode::none && plan_.fault.worker == w) a.fault = plan_.fault.mode;
      slot& s = slots_[w];
      s.worker = w;
      try {
        if (a.fault == fault_mode::start)
          throw run_error(fmt::format("{} (injected by PARBENCH_FAULT)", std::strerror(EAGAIN)));
        pipe_fds pipe = make_pipe();
        channel_fds channel;
        if (takes_tasks_) channel = make_channel();
        s.child = child_process(launch(a, pipe.write.get(), takes_tasks_ ? channel.worker.get() : -1));
        s.result = std::move(pipe.read);
        s.tasks = std::move(channel.parent);
        // The worker's ends close here, before the next worker is forked, so that each pipe has
        // exactly one writer and end of file means that worker is gone.
      } catch (const run_error& e) {
        stop_all(slots_);
        // One message for every launcher: the backend, the worker count and the limits.
        throw run_error(fmt::format(
            "{}; {} already started {} stopped", worker_start_failure(backend_, w, workers, e.what()),
            started == 1 ? "the 1 worker" : fmt::format("the {} workers", started), started == 1 ? "was" : "were"));
      }
      ++started;
      // A worker that takes tasks gets its first at once, so it computes while the others
      // start; its second once every worker has a first one.
      if (takes_tasks_) {
        give_tasks(s, 1);
      } else {
        s.pending.push_back(a.range);
      }
    }
    if (plan_.dynamic)
      for (auto& s : slots_) give_tasks(s, tasks_in_flight);
    // Every worker started: let them all go at once (one byte each; W <= 1024 bytes never
    // fill the pipe, so this does not block).
    const std::string go(workers, 'g');
    if (!write_all(barrier.write.get(), go.data(), go.size()))
      fail(backend_, slots_, fmt::format("releasing the workers failed: {}", std::strerror(errno)));
  }

  // The start barrier (worker.hpp, assignment::start_fd).
  pipe_fds make_barrier() {
    try {
      return make_pipe();
    } catch (const run_error& e) {
      throw run_error(worker_start_failure(backend_, 0, plan_.workers, e.what()));
    }
  }

  // Worker w's block of the static split.
  chunk_range block_of(unsigned w) const noexcept {
    const chunk_range all = plan_.job ? plan_.chunks : chunk_range{plan_.chunks.first, plan_.chunks.first};
    const chunk_range block = partition(all.last - all.first, plan_.workers, w);
    return {all.first + block.first, all.first + block.last};
  }

  bool last_step() const noexcept { return step_ + 1 >= steps_; }

  // The next task of the current step for `s`: the next grain of the queue (dynamic) or its
  // block, once per step (static); nullopt when the step has nothing more for it.
  std::optional<chunk_range> next_chunks(slot& s) noexcept {
    if (plan_.dynamic) return queue_.take();
    if (s.given_step > step_) return std::nullopt;
    s.given_step = step_ + 1;
    return block_of(s.worker);
  }

  // Tops `s` up to `depth` tasks of the current step. Once the last step has nothing more,
  // sends the end marker (after the tasks it holds, which it answers first) and closes its
  // channel; in an earlier step it waits for the next step's tasks instead.
  void give_tasks(slot& s, std::size_t depth) {
    while (!s.ended && s.pending.size() < depth) {
      const std::optional<chunk_range> chunks = next_chunks(s);
      if (!chunks && !last_step()) return;
      send_task(s, chunks ? std::optional<task>(task{*chunks, key_}) : std::nullopt);
      if (chunks) {
        s.pending.push_back(*chunks);
      } else {
        s.ended = true;
        s.tasks.reset();
      }
    }
  }

  // Once every result of the step is in: the step's result is the run's (last step: every
  // worker gets its end marker), or it gives the next step its key and every worker its first
  // tasks of it. Loops, as a step with no chunks to hand out ends as soon as it begins.
  void maybe_end_step() {
    for (;;) {
      const bool handed_out = plan_.dynamic ? queue_.next == queue_.last
                                            : std::all_of(slots_.begin(), slots_.end(),
                                                          [&](const slot& s) { return s.given_step > step_; });
      if (!handed_out) return;
      if (!std::all_of(slots_.begin(), slots_.end(), [](const slot& s) { return s.pending.empty(); })) return;
      if (last_step()) {
        for (auto& s : slots_) give_tasks(s, 1);
        return;
      }
      try {
        key_ = plan_.job->next_key(key_, step_result_);
      } catch (const std::exception& e) {
        fail(backend_, slots_, fmt::format("the kernel could not derive step {}'s key: {}", step_ + 2, e.what()));
      }
      step_result_ = identity(plan_.job->layout());
      ++step_;
      queue_.restart();
      for (auto& s : slots_) give_tasks(s, plan_.dynamic ? tasks_in_flight : 1);
    }
  }

  void send_task(slot& s, const std::optional<task>& t) {
    const std::string message = encode_task(t);
    ssize_t sent = 0;
    do sent = ::send(s.tasks.get(), message.data(), message.size(), MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    // A worker that died cannot take it: its end of file and exit status say why, below.
    if (sent < 0 && errno != EPIPE && errno != ECONNRESET)
      fail(backend_, slots_,
           fmt::format("sending a task to {} failed: {}", worker_label(s, plan_.workers), std::strerror(errno)));
    // The channel holds at most this one small message, so a short send cannot happen.
    if (sent >= 0 && static_cast<std::size_t>(sent) != message.size())
      fail(backend_, slots_, fmt::format("sending a task to {} was cut short", worker_label(s, plan_.workers)));
  }

  [[noreturn]] void garbled(const slot& s, const std::string& why) {
    fail(backend_, slots_, fmt::format("{} sent a garbled result ({})", worker_label(s, plan_.workers), why));
  }

  // Decodes every complete message in `s.buffer`.
  void take_messages(slot& s) {
    while (s.buffer.size() >= codec::header_size) {
      const std::uint64_t size = codec::frame_size(s.buffer);
      if (size == UINT64_MAX) garbled(s, fmt::format("a message longer than {} bytes", codec::max_message));
      if (s.buffer.size() < size) return;
      if (s.pending.empty()) garbled(s, "more than the results it was asked for");
      worker_result r;
      try {
        r = decode_result(std::string_view(s.buffer).substr(0, static_cast<std::size_t>(size)));
      } catch (const codec::codec_error& e) {
        garbled(s, e.what());
      }
      if (r.worker != s.worker) garbled(s, fmt::format("it says it is worker {}", r.worker));
      const chunk_range expected = s.pending.front();
      if (r.range.first != expected.first || r.range.last != expected.last)
        garbled(s, fmt::format("chunks {}..{} instead of {}..{}", r.range.first, r.range.last, expected.first,
                               expected.last));
      if (r.words.size() != words_) garbled(s, fmt::format("{} result words, the job has {}", r.words.size(), words_));
      if (plan_.job) combine(plan_.job->layout(), step_result_, r.words);
      s.used = s.used || !r.range.empty();
      s.pending.pop_front();
      s.buffer.erase(0, static_cast<std::size_t>(size));
      if (plan_.dynamic) give_tasks(s, tasks_in_flight);
      if (takes_tasks_) maybe_end_step();
    }
  }

  // End of file on `s`'s result pipe: the worker is exiting. Reap it (within the deadline) and
  // check that it answered everything it was given.
  void finish_slot(slot& s) {
    const std::string label = worker_label(s, plan_.workers);
    s.result.reset();
    s.tasks.reset();
    std::optional<exit_info> info;
    if (!timed()) {
      info = s.child.wait();
    } else {
      while (!(info = s.child.try_wait()) && clock::now() < deadline_) {
        const timespec pause{0, 50'000};
        ::nanosleep(&pause, nullptr);
      }
      if (!info)
        fail(backend_, slots_,
             fmt::format("{} closed its result pipe but did not exit within the timeout of {} s and was killed", label,
                         to_seconds(plan_.timeout)));
    }
    outcome_.cpu_seconds += info->cpu_seconds;
    if (!info->success())
      fail(backend_, slots_,
           label + " " + status_hint(info->status, s.worker < plan_.cpus.size() ? plan_.cpus[s.worker] : -1));
    if (!s.pending.empty()) {
      if (s.buffer.empty()) fail(backend_, slots_, label + " exited without sending its result");
      fail(backend_, slots_,
           fmt::format("{} sent a short result ({} of {} bytes)", label, s.buffer.size(), result_message_size(words_)));
    }
    if (!s.buffer.empty())
      fail(backend_, slots_,
           fmt::format("{} sent a garbled result ({} bytes after its results)", label, s.buffer.size()));
    if (s.used) ++outcome_.workers_used;
  }

  bool timed() const noexcept { return plan_.timeout.count() > 0; }

  void collect() {
    const unsigned workers = plan_.workers;
    std::vector<pollfd> fds;
    std::vector<slot*> open;
    fds.reserve(workers);
    open.reserve(workers);
    for (auto& s : slots_) open.push_back(&s);
    char chunk[4096];

    while (!open.empty()) {
      int wait_ms = -1;
      if (timed()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - clock::now());
        if (left.count() <= 0) {
          // Name a worker that still owes a result: the one that hangs, not one that is exiting.
          const auto late = std::find_if(open.begin(), open.end(), [](const slot* s) { return !s->pending.empty(); });
          const slot& s = late != open.end() ? **late : *open.front();
          const std::string others = open.size() > 1 ? fmt::format(" (and {} more)", open.size() - 1) : "";
          fail(backend_, slots_,
               fmt::format("{}{} did not answer within the timeout of {} s and was killed", worker_label(s, workers),
                           others, to_seconds(plan_.timeout)));
        }
        wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
      }
      fds.clear();
      for (const slot* s : open) fds.push_back({s->result.get(), POLLIN, 0});
      const int ready = ::poll(fds.data(), fds.size(), wait_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        fail(backend_, slots_, fmt::format("waiting for results failed: poll: {}", std::strerror(errno)));
      }
      std::size_t keep = 0;
      for (std::size_t i = 0; i < open.size(); ++i) {
        slot& s = *open[i];
        bool finished = false;
        if (fds[i].revents != 0) {
          const ssize_t n = ::read(s.result.get(), chunk, sizeof chunk);
          if (n > 0) {
            s.buffer.append(chunk, static_cast<std::size_t>(n));
            take_messages(s);
          } else if (n == 0) {
            finished = true;
          } else if (errno != EINTR && errno != EAGAIN) {
            fail(backend_, slots_,
                 fmt::format("reading the result of {} failed: {}", worker_label(s, workers), std::strerror(errno)));
          }
        }
        if (finished) {
          finish_slot(s);
        } else {
          open[keep++] = open[i];
        }
      }
      open.resize(keep);
    }
  }

  std::string_view backend_;
  const process_plan& plan_;
  std::vector<slot> slots_;
  std::size_t words_;
  task_queue queue_;
  std::uint32_t steps_;
  std::uint32_t step_ = 0;  // the step whose tasks are out
  std::uint64_t key_;       // its key
  bool takes_tasks_;        // workers read tasks (dynamic, or more than one step)
  result_words step_result_;
  process_outcome outcome_;
  clock::time_point deadline_;
};

}  // namespace

std::vector<schedule_option> process_schedules() {
  return {{"static", "worker w of W computes block w of the chunks and sends one result", false, true},
          {"dynamic",
           "a task queue: the parent hands N chunks at a time (default 1) to whichever worker answered, over a "
           "channel to each worker (multiprocessing.Pool.map's chunksize)",
           true, false}};
}

backend_abilities process_abilities() {
  backend_abilities a;
  a.schedules = process_schedules();
  a.honours_subranges = true;
  a.nestable = false;
  a.pins_workers = true;  // each worker process pins itself (sched_setaffinity) before its work
  return a;
}

process_plan plan_for(const run_request& request, std::string_view backend) {
  const backend_abilities abilities = process_abilities();  // resolve_schedule returns a reference into it
  const schedule_option& s = resolve_schedule(backend, abilities, request.schedule);
  process_plan plan;
  plan.job = request.job;
  plan.chunks = requested_chunks(request);
  plan.workers = request.workers;
  plan.timeout = request.timeout;
  plan.fault = fault_from_env(backend);
  plan.dynamic = s.name == "dynamic";
  plan.grain = request.schedule.grain == 0 ? 1 : request.schedule.grain;
  if (request.pinning && request.pinning->policy != pin_policy::none) plan.cpus = request.pinning->cpus;
  return plan;
}

process_plan empty_plan(unsigned workers) {
  process_plan plan;
  plan.workers = workers;
  return plan;
}

pid_t fork_worker(const assignment& a, int result_fd, int task_fd) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    throw run_error(fmt::format("fork() failed: {}{}", std::strerror(err), err == ENOMEM ? " (out of memory)" : ""));
  }
  if (pid == 0) {
    bind_to_parent(parent);
    run_worker(a, result_fd, task_fd);
  }
  return pid;
}

process_outcome run_process_workers(std::string_view backend, const process_plan& plan, const launcher& launch) {
  ensure_descriptors(static_cast<rlim_t>(plan.workers) * 2);
  return supervisor(backend, plan).run(launch);
}

}  // namespace parbench::process
