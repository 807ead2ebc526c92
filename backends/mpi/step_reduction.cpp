#include "backends/mpi/step_reduction.hpp"

#include <array>

#include "core/assert.hpp"

namespace parbench::mpi {

step_reduction::step_reduction(const std::vector<result_word>& layout) {
  constexpr std::array<combine_op, 3> order = {combine_op::sum, combine_op::min, combine_op::max};
  for (const combine_op op : order) {
    group g;
    g.op = op;
    if (op == combine_op::sum) g.word_of.push_back(0);  // unused: values[0] is the failed count
    for (std::size_t i = 0; i < layout.size(); ++i)
      if (layout[i].op == op) g.word_of.push_back(i);
    if (g.word_of.empty()) continue;
    g.values.resize(g.word_of.size());
    groups_.push_back(std::move(g));
  }
}

void step_reduction::pack(bool failed, std::span<const std::uint64_t> words) noexcept {
  for (group& g : groups_) {
    const std::size_t first = g.op == combine_op::sum ? 1 : 0;
    if (first == 1) g.values[0] = failed ? 1 : 0;
    for (std::size_t i = first; i < g.values.size(); ++i) {
      PARBENCH_ASSERT(g.word_of[i] < words.size());
      g.values[i] = words[g.word_of[i]];
    }
  }
}

std::uint64_t step_reduction::unpack(std::span<std::uint64_t> words) const noexcept {
  std::uint64_t failed = 0;
  for (const group& g : groups_) {
    const std::size_t first = g.op == combine_op::sum ? 1 : 0;
    if (first == 1) failed = g.values[0];
    for (std::size_t i = first; i < g.values.size(); ++i) {
      PARBENCH_ASSERT(g.word_of[i] < words.size());
      words[g.word_of[i]] = g.values[i];
    }
  }
  return failed;
}

}  // namespace parbench::mpi
