#pragma once
// The MPI library's lifetime in this process, and the few collectives parbench uses.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "backends/mpi/mpi_job.hpp"
#include "core/kernel.hpp"

namespace parbench::mpi {

/// MPI for this process: initialised on first use with MPI_Init_thread(SERIALIZED), needing
/// at least FUNNELED (one thread calls MPI at a time: the main thread, or with SERIALIZED the
/// inner thread that completes a stepped kernel's step), finalised at exit.
/// Every member but `started` is collective where MPI says so: all ranks call it in
/// the same order.
class environment {
 public:
  /// The environment, initialising MPI on the first call (a process started without a
  /// launcher becomes a job of one rank). Publishes the job in `current_job()` and
  /// silences stdout on ranks other than 0. Throws run_error when MPI cannot start.
  static environment& get();
  /// Whether MPI is initialised in this process; never starts it.
  [[nodiscard]] static bool started() noexcept;

  [[nodiscard]] int rank() const noexcept { return job_.rank; }
  [[nodiscard]] int size() const noexcept { return job_.ranks; }
  [[nodiscard]] bool is_root() const noexcept { return job_.rank == 0; }
  /// Whether any thread may call MPI, one at a time (MPI_THREAD_SERIALIZED or more).
  [[nodiscard]] bool serialized() const noexcept;
  [[nodiscard]] const job_info& job() const noexcept { return job_; }
  [[nodiscard]] const std::vector<std::string>& hosts() const noexcept { return job_.hosts; }

  /// Rank 0: sends a command to every other rank (an empty one means "stop").
  void send_command(const std::string& blob);
  /// Other ranks: waits for rank 0's next command. Spins for a millisecond, then sleeps
  /// between polls, so an idle rank leaves its cores to rank 0's other measurements.
  [[nodiscard]] std::string receive_command() const;
  /// Rank 0 marks the span in which other ranks take part in a command: an error exit
  /// inside it must MPI_Abort, outside it the other ranks are idle and told to stop.
  void set_in_command(bool in) noexcept { in_command_ = in; }
  /// Every rank's `mine` (the same length on every rank), concatenated in rank order, on
  /// every rank (MPI_Allgather).
  [[nodiscard]] std::vector<std::uint64_t> gather_all(const std::vector<std::uint64_t>& mine) const;
  /// `values` combined with `op` over every rank, in place on every rank (one MPI_Allreduce
  /// with MPI_IN_PLACE and the predefined operation; sums wrap modulo 2^64).
  void allreduce_in_place(std::span<std::uint64_t> values, combine_op op) const;
  /// Sum of one value on rank 0 (MPI_Reduce); other ranks get 0.
  [[nodiscard]] std::uint64_t sum_to_root(std::uint64_t value) const;
  /// Ends every rank of the job with exit status `code` (MPI_Abort).
  [[noreturn]] void abort(int code) const noexcept;
  /// `abort(code)` if rank 0 is inside a command (see set_in_command).
  void abort_if_in_command(int code) const noexcept;

  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;
  ~environment();

 private:
  environment();
  job_info job_;
  bool we_initialised_ = false;
  bool in_command_ = false;
  bool stopped_ = false;
};

}  // namespace parbench::mpi
