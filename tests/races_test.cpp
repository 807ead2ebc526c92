// Data-race checks for the thread-based paths: serial, threads (every schedule) and stdpar.
// They run in every build and are what the ThreadSanitizer job runs (.ci/hardening tsan,
// ctest label `races`); OpenMP, oneTBB and the process backends stay out of that job, and so does stdpar
// under TSan: it runs on Debian's oneTBB, which is not built with TSan, so TSan reports TBB's
// own work stealing as races (docs/reliability.md).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "backends/registry.hpp"
#include "kernels/registry.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/job_helpers.hpp"

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

result_words serial(const kernel_job& job) { return compute(job, {0, job.chunk_count()}); }

run_request request(std::shared_ptr<const kernel_job> job, unsigned workers, schedule s = {}) {
  run_request r;
  r.job = std::move(job);
  r.workers = workers;
  r.schedule = std::move(s);
  return r;
}

// Every schedule the backend declares, with a chunk count of 2 where it takes one.
std::vector<schedule> schedules_of(const backend& b) {
  std::vector<schedule> out;
  for (const auto& o : b.abilities().schedules) {
    out.push_back({o.name, 0});
    if (o.takes_grain) out.push_back({o.name, 2});
  }
  return out;
}

// Fewer chunks than workers, as many, and more; every kernel and schedule; one instance
// reused across worker counts.
TEST(races, repeated_runs_at_every_worker_count_agree_with_serial) {
  for (const auto& name : thread_backends()) {
    auto b = find_backend(name).make();
    for (const auto& k : registered_kernels()) {
      for (std::uint64_t chunks : {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{16}}) {
        param_values params;
        for (const auto& p : k->params())
          if (p.name == "rng") params.emplace_back("rng", "light");
        const auto job = test_jobs::job_with_chunks(*k, chunks, 11, params);
        const result_words expected = serial(*job);
        for (const schedule& s : schedules_of(*b)) {
          for (unsigned w : {1u, 2u, 3u, 5u, 8u, 2u, 1u}) {
            const run_result r = b->run(request(job, w, s));
            EXPECT_EQ(r.result, expected) << name << " " << to_string(s) << " W=" << w << " " << describe(job->spec());
            EXPECT_GE(r.workers_used, 1u) << name;
            EXPECT_LE(r.workers_used, w) << name;
          }
        }
      }
    }
  }
}

// Separate instances may run at the same time from different threads (the harness never
// does, but nothing in serial or threads may share unsynchronised state between instances).
TEST(races, separate_instances_run_concurrently) {
  const auto job = make_job("imbalanced", 8 * 65536 + 5, 3);
  const result_words expected = serial(*job);
  for (const char* name : {"serial", "threads"}) {
    for (const schedule& s : schedules_of(*find_backend(name).make())) {
      std::vector<result_words> results(3);
      std::vector<std::thread> callers;
      for (std::size_t i = 0; i < results.size(); ++i) {
        callers.emplace_back([&, i] {
          auto b = find_backend(name).make();
          results[i] = b->run(request(job, 3, s)).result;
        });
      }
      for (auto& t : callers) t.join();
      for (const auto& r : results) EXPECT_EQ(r, expected) << name << " " << to_string(s);
    }
  }
}

TEST(races, start_empty_then_run_many_times) {
  const auto job = make_job("pi", 2 * 65536, 5, {{"rng", "light"}});
  const result_words expected = serial(*job);
  for (const auto& name : thread_backends()) {
    auto b = find_backend(name).make();
    const auto schedules = schedules_of(*b);
    for (int rep = 0; rep < 20; ++rep) {
      const unsigned w = 1 + static_cast<unsigned>(rep % 4);
      b->start_empty(w);
      const schedule& s = schedules[static_cast<std::size_t>(rep) % schedules.size()];
      EXPECT_EQ(b->run(request(job, w, s)).result, expected) << name << " " << to_string(s) << " rep " << rep;
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

// The atomic chunk counter through the binary, on the kernel where chunks differ in cost.
TEST(races, cli_imbalanced_on_the_threads_counter) {
  const auto r = test::run_parbench(
      "pi --backend threads --kernel imbalanced --schedule dynamic:2 --workers 3 "
      "--samples 1000003 --seed 9");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("dynamic:2"));
}

}  // namespace
