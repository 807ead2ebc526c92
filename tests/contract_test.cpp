// The contract between kernels and backends, over the registries: every kernel x every
// backend usable here x every schedule it declares x W in {1, 2, 3, 7} returns exactly the
// serial result. A kernel or backend added to the build is picked up with no edit here.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "backends/registry.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "kernels/registry.hpp"
#include "tests/job_helpers.hpp"

namespace {

using namespace parbench;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Small jobs: a few chunks (fewer than some W), and more chunks than workers.
std::vector<std::shared_ptr<const kernel_job>> jobs_of(const kernel& k) {
  std::vector<std::shared_ptr<const kernel_job>> out;
  for (const std::uint64_t chunks : {5, 23}) out.push_back(test_jobs::job_with_chunks(k, chunks, 2026));
  return out;
}

#ifdef PARBENCH_TEST_EXTERNAL_KERNEL
// This build registers a kernel from outside the tree (include/parbench/parbench.hpp): every
// test below runs it as it runs the built-in ones.
TEST(contract, the_kernel_registered_from_outside_is_in_the_registry) {
  EXPECT_NO_THROW((void)find_kernel(PARBENCH_TEST_EXTERNAL_KERNEL));
  EXPECT_EQ(registered_kernels().front()->name(), "pi");  // built-in ones first: pi stays the default
}
#endif

TEST(contract, every_backend_returns_the_serial_result_for_every_kernel_schedule_and_worker_count) {
  int runs = 0;
  for (const auto& k : registered_kernels()) {
    for (const auto& job : jobs_of(*k)) {
      const result_words serial = compute(*job, {0, job->chunk_count()});
      ASSERT_TRUE(job->check(serial).ok) << describe(job->spec()) << ": " << job->check(serial).summary;
      for (const auto& entry : registered_backends()) {
        auto b = entry.make();
        if (!b->probe().usable) continue;
        const backend_abilities abilities = b->abilities();
        ASSERT_FALSE(abilities.schedules.empty()) << entry.name;
        if (!supports_kernel(abilities, k->name())) continue;
        for (const auto& option : abilities.schedules) {
          std::vector<schedule> schedules = {{option.name, 0}};
          if (option.takes_grain) schedules.push_back({option.name, 3});
          for (const auto& s : schedules) {
            for (const unsigned w : {1u, 2u, 3u, 7u}) {
              run_request request;
              request.job = job;
              request.workers = w;
              request.schedule = s;
              request.timeout = std::chrono::seconds(60);
              const run_result r = b->run(request);
              EXPECT_EQ(r.result, serial)
                  << entry.name << " " << to_string(s) << " W=" << w << " " << describe(job->spec());
              EXPECT_GE(r.workers_used, 1u) << entry.name;
              EXPECT_LE(r.workers_used, r.workers_started) << entry.name;
              if (abilities.exact_workers) {
                EXPECT_EQ(r.workers_started, w) << entry.name;
              }
              ++runs;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(runs, 0);
}

TEST(contract, backends_that_honour_sub_ranges_return_the_partial_result_of_the_range) {
  for (const auto& k : registered_kernels()) {
    const auto job = jobs_of(*k).back();
    const chunk_range range{4, 15};
    const result_words expected = compute(*job, range);
    for (const auto& entry : registered_backends()) {
      auto b = entry.make();
      const backend_abilities abilities = b->abilities();
      if (!b->probe().usable || !abilities.honours_subranges || !supports_kernel(abilities, k->name())) continue;
      for (const auto& option : abilities.schedules) {
        run_request request;
        request.job = job;
        request.workers = 3;
        request.schedule = {option.name, 0};
        request.chunks = range;
        request.timeout = std::chrono::seconds(60);
        EXPECT_EQ(b->run(request).result, expected) << entry.name << " " << option.name << " " << k->name();
      }
    }
  }
}

// Kernels with memory (triad): every backend's workers work on the job's own arrays, not on
// private copies. After set-up, run and verification through the backend, the arrays as this
// process sees them pass the verification too.
TEST(contract, every_backend_works_on_the_shared_memory_of_a_kernel_with_arrays) {
  int checked = 0;
  for (const auto& k : registered_kernels()) {
    const auto job = test_jobs::job_with_chunks(*k, 5, 3);
    if (!job->phase_job(job_phase::verify)) continue;
    const auto verify = job->phase_job(job_phase::verify);
    for (const auto& entry : registered_backends()) {
      auto b = entry.make();
      if (!b->probe().usable || !supports_kernel(b->abilities(), k->name())) continue;
      for (const auto& option : b->abilities().schedules) {
        for (const unsigned w : {1u, 3u}) {
          run_request request;
          request.job = job;
          request.workers = w;
          request.schedule = {option.name, 0};
          request.timeout = std::chrono::seconds(60);
          ASSERT_TRUE(run_setup(*b, request));
          // The set-up pass went through the backend's workers: this process sees its values.
          const result_words before = compute(*verify, {0, verify->chunk_count()});
          EXPECT_GT(before[0], 0u) << entry.name << ": a is not computed before the run";
          EXPECT_EQ(before[1], job->spec().size) << entry.name;
          const run_result r = b->run(request);
          EXPECT_TRUE(job->check(r.result).ok) << entry.name << " " << option.name << " W=" << w;
          const auto v = run_verify(*b, request);
          ASSERT_TRUE(v.has_value());
          EXPECT_TRUE(v->ok) << entry.name << " " << option.name << " W=" << w << ": " << v->summary;
          const result_words here = compute(*verify, {0, verify->chunk_count()});
          EXPECT_TRUE(verify->check(here).ok)
              << entry.name << " " << option.name << " W=" << w << ": " << verify->check(here).summary;
          ++checked;
        }
      }
    }
    // Given back, the pages read as zeros again: the next set-up touches them first.
    job->reset_memory();
    EXPECT_FALSE(verify->check(compute(*verify, {0, verify->chunk_count()})).ok);
  }
  EXPECT_GT(checked, 0) << "no kernel with memory in this build";
}

TEST(contract, an_unknown_schedule_or_a_grain_where_none_is_taken_is_a_usage_error) {
  const auto job = make_job("pi", 65536, 1);
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (!b->probe().usable) continue;
    run_request request;
    request.job = job;
    request.schedule = {"bogus", 0};
    EXPECT_THROW((void)b->run(request), usage_error) << entry.name;
    EXPECT_THROW((void)parse_schedule(*b, "bogus"), usage_error) << entry.name;
    for (const auto& option : b->abilities().schedules) {
      EXPECT_EQ(parse_schedule(*b, option.name).name, option.name) << entry.name;
      if (option.takes_grain)
        EXPECT_EQ(parse_schedule(*b, option.name + ":4").grain, 4u) << entry.name;
      else
        EXPECT_THROW((void)parse_schedule(*b, option.name + ":4"), usage_error) << entry.name;
    }
    EXPECT_THROW((void)parse_schedule(*b, b->abilities().schedules.front().name + ":0"), usage_error);
    EXPECT_THROW((void)parse_schedule(*b, b->abilities().schedules.front().name + ":x"), usage_error);
  }
}

TEST(contract, a_backend_limited_to_some_kernels_refuses_the_others_as_a_usage_error) {
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    const backend_abilities abilities = b->abilities();
    if (abilities.kernels.empty() || !b->probe().usable) continue;
    for (const auto& k : registered_kernels()) {
      if (supports_kernel(abilities, k->name())) continue;
      run_request request;
      request.job = jobs_of(*k).front();
      EXPECT_THROW((void)b->run(request), usage_error) << entry.name << " " << k->name();
    }
  }
}

// Dependencies point one way: nothing in core/, backends/ or reports/ names a particular
// kernel's folder, and every kernel is one folder plus one line (docs/adding-a-kernel.md).
TEST(contract, kernels_are_one_folder_and_one_registration_line) {
  const std::filesystem::path root = PARBENCH_SOURCE_DIR;
  const std::string registrations = read_file(root / "kernels" / "CMakeLists.txt");
  const std::string guide = read_file(root / "docs" / "adding-a-kernel.md");
  for (const auto& k : registered_kernels()) {
    const std::string name(k->name());
#ifdef PARBENCH_TEST_EXTERNAL_KERNEL
    if (name == PARBENCH_TEST_EXTERNAL_KERNEL) continue;  // registered from outside the tree
#endif
    EXPECT_TRUE(std::filesystem::exists(root / "kernels" / name / "CMakeLists.txt")) << name;
    EXPECT_NE(registrations.find("parbench_add_kernel(" + name + ")"), std::string::npos) << name;
  }
  // The guide's list of touched files is what a kernel really needs.
  for (const char* touched : {"kernels/<name>/CMakeLists.txt", "kernels/<name>/<name>_kernel.cpp",
                              "kernels/CMakeLists.txt", "parbench_add_kernel(<name>)"})
    EXPECT_NE(guide.find(touched), std::string::npos) << touched;
  for (const auto& k : registered_kernels()) {
    const std::string name(k->name());
#ifdef PARBENCH_TEST_EXTERNAL_KERNEL
    if (name == PARBENCH_TEST_EXTERNAL_KERNEL) continue;
#endif
    EXPECT_TRUE(std::filesystem::exists(root / "kernels" / name / (name + "_kernel.cpp"))) << name;
  }
  for (const char* dir : {"core", "backends", "reports"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / dir)) {
      if (!entry.is_regular_file()) continue;
      const std::string text = read_file(entry.path());
      for (const auto& k : registered_kernels()) {
        if (k->name() == "pi") continue;  // the CUDA backend has device code for pi, declared in its abilities
        EXPECT_EQ(text.find("kernels/" + std::string(k->name())), std::string::npos) << entry.path();
      }
      if (std::string(dir) == "core") {
        EXPECT_EQ(text.find("#include \"kernels/"), std::string::npos) << entry.path();
      }
    }
  }
}

}  // namespace
