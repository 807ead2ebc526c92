#include "cli/console_summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace parbench;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

bench::result_row aggregate(std::string backend, std::string kind, unsigned workers, double samples_per_s,
                            double speedup) {
  bench::result_row r;
  r.backend = std::move(backend);
  r.kind = std::move(kind);
  r.scaling = "strong";
  r.workers = workers;
  r.samples = 1u << 30;
  r.row_type = "aggregate";
  r.status = "ok";
  r.wall_s = static_cast<double>(r.samples) / samples_per_s;
  r.samples_per_s = samples_per_s;
  r.speedup = speedup;
  return r;
}

bench::suite one_size_suite() {
  bench::suite s;
  s.samples = {1u << 30};
  s.scaling = "strong";
  return s;
}

TEST(console_summary, compares_the_gpu_with_one_core_and_the_best_cpu_backend_at_full_width) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0), aggregate("threads", "backend", 1, 1e9, 1.0),
                    aggregate("threads", "backend", 2, 1.9e9, 1.9), aggregate("openmp", "backend", 2, 2e9, 2.0),
                    aggregate("cuda", "backend", 1, 4e11, 400.0)};
  const std::string text = cli::summary_text(report, one_size_suite());
  EXPECT_THAT(text, HasSubstr("cuda: 400.0x one CPU core, 200.0x the best CPU backend at W=2 (openmp"));
}

TEST(console_summary, no_gpu_line_without_a_gpu_and_long_peer_names_stay_aligned) {
  bench::report report;
  report.results = {aggregate("serial", "reference", 1, 1e9, 1.0),
                    aggregate("python-numpy-forkserver", "peer", 1, 1e8, 0.1)};
  const std::string text = cli::summary_text(report, one_size_suite());
  EXPECT_THAT(text, Not(HasSubstr("one CPU core")));
  EXPECT_THAT(text, HasSubstr("python-numpy-forkserver    1"));
}

TEST(console_summary, overhead_table_shows_whole_mechanism_names) {
  bench::overhead_row row;
  row.backend = "mpi";
  row.mechanism = "MPI Ibcast + W threads/rank + Allreduce";
  row.workers = 2;
  row.median_us = 58.9;
  const std::string text = cli::overhead_text({row});
  EXPECT_THAT(text, HasSubstr("MPI Ibcast + W threads/rank + Allreduce"));
  EXPECT_THAT(text, HasSubstr("58.9"));
}

}  // namespace
