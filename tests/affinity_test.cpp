// Pinning through every backend that says it pins: each worker really runs on the CPU the plan
// gives it (the PARBENCH_AFFINITY_LOG hook records the CPU set the kernel holds for the worker
// and sched_getcpu() right after pinning), the calling thread is never left pinned, and a pool
// kept across runs (OpenMP, TBB) gets its CPU set back when the next run is not pinned.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "core/affinity.hpp"
#include "core/backend.hpp"
#include "kernels/registry.hpp"
#include "tests/job_helpers.hpp"

using namespace parbench;

namespace {

struct log_line {
  std::string who;
  unsigned worker = 0;
  std::string cpus;  // the worker's CPU set as ranges, "0-1" or "1"
  int now = -1;      // sched_getcpu() right after
};

// Points PARBENCH_AFFINITY_LOG at a fresh file for the test's lifetime.
class affinity_log {
 public:
  affinity_log()
      : path_(std::filesystem::temp_directory_path() / ("parbench-affinity-" + std::to_string(::getpid()) + ".log")) {
    std::filesystem::remove(path_);
    ::setenv("PARBENCH_AFFINITY_LOG", path_.c_str(), 1);
  }
  ~affinity_log() {
    ::unsetenv("PARBENCH_AFFINITY_LOG");
    std::filesystem::remove(path_);
  }
  affinity_log(const affinity_log&) = delete;
  affinity_log& operator=(const affinity_log&) = delete;
  std::vector<log_line> take() {
    std::vector<log_line> out;
    std::ifstream in(path_);
    for (std::string text; std::getline(in, text);) {
      std::istringstream fields(text);
      log_line l;
      fields >> l.who >> l.worker >> l.cpus >> l.now;
      out.push_back(l);
    }
    std::filesystem::remove(path_);
    return out;
  }

 private:
  std::filesystem::path path_;
};

// Two CPUs this process may use, in reverse order, so that worker w does not get CPU w by chance.
std::shared_ptr<const pin_plan> reversed_plan() {
  const std::vector<int> cpus = current_cpus();
  return std::make_shared<const pin_plan>(pin_plan{pin_policy::compact, {cpus.back(), cpus.front()}});
}

std::vector<const backend_entry*> pinning_backends() {
  std::vector<const backend_entry*> out;
  for (const auto& e : registered_backends()) {
    const auto b = e.make();
    // A nesting backend (mpi) plans inside each rank, on the rank's CPUs: tests/mpi_test.cpp.
    if (b->abilities().pins_workers && !b->abilities().schedules_of_inner && b->probe().usable) out.push_back(&e);
  }
  return out;
}

run_request request(const char* kernel, std::shared_ptr<const pin_plan> plan) {
  run_request r;
  r.job = test_jobs::job_with_chunks(find_kernel(kernel), 64, 3);
  r.workers = 2;
  r.pinning = std::move(plan);
  r.timeout = std::chrono::seconds(60);
  return r;
}

}  // namespace

TEST(affinity, every_pinning_backend_runs_each_worker_on_its_planned_cpu) {
  const auto plan = reversed_plan();
  const std::vector<int> before = current_cpus();
  ASSERT_FALSE(pinning_backends().empty());
  for (const auto* e : pinning_backends()) {
    for (const char* kernel : {"pi", "stepped"}) {  // one-step and persistent (per-step) workers
      SCOPED_TRACE(e->name + " " + kernel);
      affinity_log log;
      const auto b = e->make();
      const run_request r = request(kernel, plan);
      const run_result got = b->run(r);
      EXPECT_EQ(got.result, b->run(request(kernel, nullptr)).result) << "pinning changes no result";
      const std::vector<log_line> lines = log.take();
      ASSERT_FALSE(lines.empty()) << "no worker was pinned";
      std::map<unsigned, int> pinned;
      for (const auto& l : lines) {
        if (l.cpus.find_first_of(",-") != std::string::npos) continue;  // a worker given its set back
        EXPECT_EQ(l.cpus, std::to_string(plan->cpus.at(l.worker))) << "worker " << l.worker;
        EXPECT_EQ(l.now, plan->cpus.at(l.worker)) << "worker " << l.worker << " runs elsewhere";
        pinned[l.worker] = l.now;
      }
      // Where the split is fixed by W, both workers run; elsewhere (TBB) the model decides.
      const bool exact = b->abilities().exact_workers && b->abilities().schedules.front().fixed_split;
      if (e->name == "serial") {
        EXPECT_EQ(pinned.size(), 1u) << "serial is worker 0 alone";
      } else if (exact) {
        EXPECT_EQ(pinned.size(), 2u) << "both workers pinned";
      }
      EXPECT_EQ(current_cpus(), before) << "the calling thread was left pinned";
    }
  }
}

TEST(affinity, a_pool_kept_across_runs_gets_its_cpu_set_back) {
  const std::vector<int> all = current_cpus();
  if (all.size() < 2) GTEST_SKIP() << "needs two CPUs: with one, pinned and unpinned look alike";
  for (const char* name : {"openmp", "tbb"}) {
    const auto* e = [&]() -> const backend_entry* {
      for (const auto* p : pinning_backends())
        if (p->name == name) return p;
      return nullptr;
    }();
    if (e == nullptr) continue;
    SCOPED_TRACE(name);
    affinity_log log;
    const auto b = e->make();
    (void)b->run(request("stepped", reversed_plan()));
    (void)log.take();
    (void)b->run(request("stepped", nullptr));
    bool restored = false;
    for (const auto& l : log.take()) {
      EXPECT_EQ(l.cpus, cpu_list_text(all)) << "an unpinned run leaves a worker pinned";
      restored = true;
    }
    // libgomp's team is the same threads every region; TBB's threads join the arena as they
    // come, so one that a pinned run used may sit out the next one (and stays pinned, idle).
    if (std::string(name) == "openmp") {
      EXPECT_TRUE(restored) << "no thread of the pinned run was given its set back";
    }
  }
}

TEST(affinity, a_cpu_outside_the_process_set_is_a_run_error_naming_it) {
  const auto plan = std::make_shared<const pin_plan>(pin_plan{pin_policy::compact, {4095, 4095}});
  for (const auto* e : pinning_backends()) {
    SCOPED_TRACE(e->name);
    const auto b = e->make();
    try {
      (void)b->run(request("pi", plan));
      ADD_FAILURE() << "no error";
    } catch (const run_error& err) {
      const std::string what = err.what();
      EXPECT_THAT(what, ::testing::HasSubstr("CPU 4095")) << "names the CPU";
      EXPECT_THAT(what, ::testing::ContainsRegex("worker [01]")) << "names the worker";
    }
  }
}

TEST(affinity, a_plan_is_checked_against_the_process_set_before_anything_runs) {
  const std::vector<int> cpus = current_cpus();
  EXPECT_FALSE(first_cpu_not_allowed(pin_plan{pin_policy::compact, cpus}).has_value());
  const auto bad = first_cpu_not_allowed(pin_plan{pin_policy::compact, {cpus.front(), cpus.back() + 1}});
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->first, 1u);
  EXPECT_EQ(bad->second, cpus.back() + 1);
  EXPECT_TRUE(first_cpu_not_allowed(pin_plan{pin_policy::spread, {-1}}).has_value());
}

TEST(affinity, the_guard_restores_what_pin_worker_changed) {
  const std::vector<int> before = current_cpus();
  const auto plan = reversed_plan();
  {
    const thread_affinity_guard guard;
    pin_worker("test", plan.get(), 0);
    EXPECT_EQ(current_cpus(), std::vector<int>{plan->cpus[0]});
  }
  EXPECT_EQ(current_cpus(), before);
  pin_worker("test", plan.get(), 1);
  EXPECT_EQ(current_cpus(), std::vector<int>{plan->cpus[1]});
  pin_worker("test", nullptr, 1);
  EXPECT_EQ(current_cpus(), before) << "no plan: the process's set again";
  EXPECT_THROW(pin_worker("test", plan.get(), 2), run_error) << "a worker the plan has no CPU for";
}
