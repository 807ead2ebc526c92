#pragma once
// A stepped job's per-step collective: the step's result words and this rank's failed flag,
// grouped by how they combine, so that one MPI_Allreduce with a predefined operation per group
// completes the step in place (one call for the usual all-sum layout), as an MPI code that
// reduces once per step does. The buffers are sized once per run: no allocation per step.

#include <cstdint>
#include <span>
#include <vector>

#include "core/kernel.hpp"

namespace parbench::mpi {

class step_reduction {
 public:
  /// The words of one combination, and where each sits in the layout.
  struct group {
    combine_op op = combine_op::sum;
    std::vector<std::uint64_t> values;
    /// values[i] is layout word word_of[i]; in the sum group values[0] is the failed-rank count
    /// and word_of[0] is unused.
    std::vector<std::size_t> word_of;
  };

  /// Groups for `layout`: the sum group always first, its value 0 the failed-rank count.
  explicit step_reduction(const std::vector<result_word>& layout);

  /// Fills the groups from this rank's flag and step result (`words`: one per layout word).
  void pack(bool failed, std::span<const std::uint64_t> words) noexcept;
  /// What each rank's MPI_Allreduce reduces in place, one group at a time, in this order.
  [[nodiscard]] std::span<group> groups() noexcept { return groups_; }
  /// After the reduction: writes the combined words back into `words` and returns how many
  /// ranks failed.
  [[nodiscard]] std::uint64_t unpack(std::span<std::uint64_t> words) const noexcept;

 private:
  std::vector<group> groups_;
};

}  // namespace parbench::mpi
