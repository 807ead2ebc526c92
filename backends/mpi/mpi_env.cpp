#include "backends/mpi/mpi_env.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "core/affinity.hpp"
#include "core/errors.hpp"

namespace parbench::mpi {
namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point start) { return std::chrono::duration<double>(clock::now() - start).count(); }

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw run_error(fmt::format("mpi: {} failed: {}", what, std::string(text, static_cast<std::size_t>(length))));
}

// Other ranks idle in receive_command are told to stop by the destructor (a clean exit
// with rank 0's status); only a rank 0 that fails inside a command must abort the job.
void abort_if_inside_a_command(int code) {
  auto& env = environment::get();
  if (env.size() > 1) env.abort_if_in_command(code);
}

// Waits for a non-blocking collective without pinning a core: tight polling for the
// first millisecond (back-to-back commands), then polls 50 us apart.
void wait_politely(MPI_Request& request, const char* what) {
  const auto start = clock::now();
  int done = 0;
  while (true) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
    if (done != 0) return;
    if (clock::now() - start > std::chrono::milliseconds(1)) {
      timespec pause{0, 50'000};
      ::nanosleep(&pause, nullptr);
    }
  }
}

}  // namespace

bool environment::started() noexcept {
  int initialised = 0;
  MPI_Initialized(&initialised);
  return initialised != 0;
}

environment& environment::get() {
  static environment env;
  return env;
}

bool environment::serialized() const noexcept { return job_.thread_level >= MPI_THREAD_SERIALIZED; }

environment::environment() {
  if (!started()) {
    const auto start = clock::now();
    int provided = MPI_THREAD_SINGLE;
    // SERIALIZED: a stepped job's collective is called by whichever inner thread completes the
    // step (one at a time). FUNNELED is enough for everything else.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
    job_.init_seconds = seconds_since(start);
    job_.thread_level = provided;
    we_initialised_ = true;
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw run_error(
          "mpi: the MPI library grants only MPI_THREAD_SINGLE; parbench needs MPI_THREAD_FUNNELED "
          "(threads inside a rank): use an MPI built with thread support");
    }
  } else {
    MPI_Query_thread(&job_.thread_level);
  }
  // Errors come back as codes so they surface as run_error with MPI's own text.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &job_.rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &job_.ranks), "MPI_Comm_size");

  // The first collective wires the ranks up; its cost is part of the start-up.
  const auto first = clock::now();
  std::uint64_t one = 1, total = 0;
  check(MPI_Allreduce(&one, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD), "first MPI_Allreduce");
  job_.first_collective_seconds = seconds_since(first);

  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  std::vector<char> all(static_cast<std::size_t>(MPI_MAX_PROCESSOR_NAME) * static_cast<std::size_t>(job_.ranks));
  check(MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                      MPI_COMM_WORLD),
        "MPI_Allgather of host names");
  for (int r = 0; r < job_.ranks; ++r)
    job_.hosts.emplace_back(&all[static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME]);

  // Each rank's CPU set, so that ranks that share one can pin their workers onto different CPUs.
  constexpr std::size_t set_text = 1024;
  std::vector<char> mine(set_text, '\0');
  const std::string set = cpu_list_text(current_cpus());
  std::copy_n(set.begin(), std::min(set.size(), set_text - 1), mine.begin());
  std::vector<char> sets(set_text * static_cast<std::size_t>(job_.ranks));
  check(MPI_Allgather(mine.data(), static_cast<int>(set_text), MPI_CHAR, sets.data(), static_cast<int>(set_text),
                      MPI_CHAR, MPI_COMM_WORLD),
        "MPI_Allgather of CPU sets");
  for (int r = 0; r < job_.ranks; ++r) job_.cpu_sets.emplace_back(&sets[static_cast<std::size_t>(r) * set_text]);

  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  if (MPI_Get_library_version(library, &length) == MPI_SUCCESS) {
    job_.library = std::string(library, static_cast<std::size_t>(length));
    job_.library = job_.library.substr(0, job_.library.find_first_of(",\n"));
  }

  detail::published_job() = job_;
  detail::abort_hook() = &abort_if_inside_a_command;
  silence_unless_root();
}

environment::~environment() {
  detail::abort_hook() = nullptr;
  if (is_root() && size() > 1 && !stopped_) {
    try {
      send_command({});  // the other ranks leave their command loop and finalise too
    } catch (const std::exception&) {
      // MPI itself failed; MPI_Finalize below reports what it can
    }
  }
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (we_initialised_ && finalised == 0) MPI_Finalize();
}

void environment::send_command(const std::string& blob) {
  auto length = static_cast<std::uint64_t>(blob.size());
  MPI_Request request = MPI_REQUEST_NULL;
  // Non-blocking on both sides: a blocking and a non-blocking collective never match.
  check(MPI_Ibcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast of a command");
  check(MPI_Wait(&request, MPI_STATUS_IGNORE), "MPI_Ibcast of a command");
  if (length == 0) {
    stopped_ = true;
    return;
  }
  std::string copy = blob;
  check(MPI_Bcast(copy.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast of a command");
}

std::string environment::receive_command() const {
  std::uint64_t length = 0;
  MPI_Request request = MPI_REQUEST_NULL;
  check(MPI_Ibcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast of a command");
  wait_politely(request, "MPI_Ibcast of a command");
  std::string blob(static_cast<std::size_t>(length), '\0');
  if (length > 0)
    check(MPI_Bcast(blob.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast of a command");
  return blob;
}

void environment::abort_if_in_command(int code) const noexcept {
  if (in_command_) abort(code);
}

std::vector<std::uint64_t> environment::gather_all(const std::vector<std::uint64_t>& mine) const {
  std::vector<std::uint64_t> all(mine.size() * static_cast<std::size_t>(size()));
  const int n = static_cast<int>(mine.size());
  check(MPI_Allgather(mine.data(), n, MPI_UINT64_T, all.data(), n, MPI_UINT64_T, MPI_COMM_WORLD),
        "MPI_Allgather of the results");
  return all;
}

void environment::allreduce_in_place(std::span<std::uint64_t> values, combine_op op) const {
  MPI_Op mpi_op = MPI_SUM;
  if (op == combine_op::min) mpi_op = MPI_MIN;
  if (op == combine_op::max) mpi_op = MPI_MAX;
  check(
      MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_UINT64_T, mpi_op, MPI_COMM_WORLD),
      "MPI_Allreduce of a step's result");
}

std::uint64_t environment::sum_to_root(std::uint64_t value) const {
  std::uint64_t total = 0;
  check(MPI_Reduce(&value, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce");
  return total;
}

void environment::abort(int code) const noexcept {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace parbench::mpi
