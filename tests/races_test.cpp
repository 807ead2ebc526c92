// Data-race checks for the thread-based paths: serial, threads and stdpar. They run in
// every build and are what the ThreadSanitizer job runs (.ci/hardening tsan, ctest label
// `races`); OpenMP, oneTBB and the process backends stay out of that job, and so does stdpar
// under TSan: it runs on Debian's oneTBB, which is not built with TSan, so TSan reports TBB's
// own work stealing as races (docs/reliability.md).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "backends/registry.hpp"
#include "tests/cli_helpers.hpp"

using namespace parbench;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif
#else
constexpr bool under_tsan = false;
#endif

bool built(std::string_view name) {
  const auto& all = registered_backends();
  return std::any_of(all.begin(), all.end(), [&](const backend_entry& e) { return e.name == name; });
}

std::vector<std::string> thread_backends() {
  std::vector<std::string> out;
  for (const char* name : {"serial", "threads", "stdpar"})
    if (built(name) && !(under_tsan && std::string_view(name) == "stdpar")) out.emplace_back(name);
  return out;
}

std::uint64_t serial_hits(const kernels::pi_job& job) { return kernels::count_hits(job, 0, job.chunk_count()); }

// Fewer chunks than workers, as many, and more; one instance reused across worker counts.
TEST(races, repeated_runs_at_every_worker_count_agree_with_serial) {
  for (const auto& name : thread_backends()) {
    auto b = find_backend(name).make();
    for (std::uint64_t chunks : {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{16}}) {
      const kernels::pi_job job{chunks * kernels::chunk_samples - 7, 11, kernels::rng_kind::light};
      const std::uint64_t expected = serial_hits(job);
      for (unsigned w : {1u, 2u, 3u, 5u, 8u, 2u, 1u}) {
        const run_result r = b->run({job, w, {}, {}});
        EXPECT_EQ(r.hits, expected) << name << " W=" << w << " chunks=" << chunks;
        EXPECT_GE(r.workers_used, 1u) << name;
        EXPECT_LE(r.workers_used, w) << name;
      }
    }
  }
}

// Separate instances may run at the same time from different threads (the harness never
// does, but nothing in serial or threads may share unsynchronised state between instances).
TEST(races, separate_instances_run_concurrently) {
  const kernels::pi_job job{8 * kernels::chunk_samples + 5, 3, kernels::rng_kind::philox};
  const std::uint64_t expected = serial_hits(job);
  for (const char* name : {"serial", "threads"}) {
    std::vector<std::uint64_t> hits(3, 0);
    std::vector<std::thread> callers;
    for (std::size_t i = 0; i < hits.size(); ++i) {
      callers.emplace_back([&, i] {
        auto b = find_backend(name).make();
        hits[i] = b->run({job, 3, {}, {}}).hits;
      });
    }
    for (auto& t : callers) t.join();
    for (std::uint64_t h : hits) EXPECT_EQ(h, expected) << name;
  }
}

TEST(races, start_empty_then_run_many_times) {
  const kernels::pi_job job{2 * kernels::chunk_samples, 5, kernels::rng_kind::light};
  const std::uint64_t expected = serial_hits(job);
  for (const auto& name : thread_backends()) {
    auto b = find_backend(name).make();
    for (int rep = 0; rep < 20; ++rep) {
      const unsigned w = 1 + static_cast<unsigned>(rep % 4);
      b->start_empty(w);
      EXPECT_EQ(b->run({job, w, {}, {}}).hits, expected) << name << " rep " << rep;
    }
  }
}

// The whole binary on these paths: under TSan a report makes it exit 66, not 0.
TEST(races, cli_pi_on_the_thread_backends) {
  std::string list;
  for (const auto& name : thread_backends()) list += (list.empty() ? "" : ",") + name;
  const auto r = test::run_parbench("pi --backend " + list + " --workers 3 --samples 1000003 --seed 9");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("all backends agree"));
}

}  // namespace
