// What is specific to the stdpar backend (exact agreement with serial is in backends_test):
// its worker limit holds, it reports the threads it really used, and it runs in parallel\n// from the first call.

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "backends/registry.hpp"

using namespace parbench;

namespace {

std::unique_ptr<backend> make_stdpar() { return find_backend("stdpar").make(); }

run_request request(std::uint64_t chunks, unsigned workers) {
  return {kernels::pi_job{chunks * kernels::chunk_samples, 7, kernels::rng_kind::philox}, workers, {}, {}};
}

// Runs in a fresh process (ctest runs each test alone), where TBB creates its threads
// lazily: even the first call must run in parallel. (A range whose iterators are not
// random access, such as std::views::iota, would silently run on one thread.)
TEST(stdpar, first_run_in_a_fresh_process_is_parallel) {
  auto b = make_stdpar();
  const run_result r = b->run(request(512, 2));
  EXPECT_EQ(r.workers_started, 2u);
  EXPECT_EQ(r.workers_used, 2u);
}

TEST(stdpar, never_uses_more_threads_than_the_limit) {
  auto b = make_stdpar();
  // Going down after a wide run checks that the limit is re-applied, not inherited.
  for (unsigned w : {8u, 1u, 3u, 2u, 1u, 16u, 4u}) {
    for (int rep = 0; rep < 3; ++rep) {
      const run_result r = b->run(request(64, w));
      EXPECT_EQ(r.workers_started, w);
      EXPECT_GE(r.workers_used, 1u);
      EXPECT_LE(r.workers_used, w) << "W=" << w;
      if (w == 1) {
        EXPECT_EQ(r.workers_used, 1u);
      }
    }
  }
}

// W above the core count: TBB's process-wide limit is raised for the call, so more
// threads than cores can take part (without it, TBB caps its pool at the core count).
TEST(stdpar, more_workers_than_cores_can_all_take_part) {
  auto b = make_stdpar();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned w = cores + 2;
  unsigned best = 0;
  // Long enough (~0.2 s on one core) for sleeping TBB workers to wake: right after a run
  // with a higher limit they were seen to take over 20 ms.
  for (int rep = 0; rep < 5 && best <= cores; ++rep) best = std::max(best, b->run(request(4096, w)).workers_used);
  EXPECT_GT(best, cores) << "W=" << w;
}

TEST(stdpar, fewer_chunks_than_workers) {
  auto b = make_stdpar();
  const run_result r = b->run({kernels::pi_job{1, 1, kernels::rng_kind::philox}, 4, {}, {}});
  EXPECT_EQ(r.workers_used, 1u);
  EXPECT_EQ(r.hits, kernels::count_hits(kernels::pi_job{1, 1, kernels::rng_kind::philox}, 0, 1));
}

TEST(stdpar, start_empty_then_run_agrees) {
  auto b = make_stdpar();
  b->start_empty(3);
  const auto req = request(10, 3);
  EXPECT_EQ(b->run(req).hits, kernels::count_hits(req.job, 0, req.job.chunk_count()));
}

}  // namespace
