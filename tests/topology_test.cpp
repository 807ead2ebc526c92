// The machine's shape without the hardware: hwloc's synthetic topologies stand for machines
// we do not have (2 packages x 2 NUMA nodes x 4 cores x 2 threads, a container's cpuset), and
// the default worker list, the pinning plans and the sharing warnings are checked on them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "bench/runner.hpp"
#include "bench/topology.hpp"
#include "core/affinity.hpp"
#include "core/errors.hpp"

using namespace parbench;
using ::testing::HasSubstr;

namespace {

// 2 packages, each of 2 NUMA nodes of 4 cores of 2 hardware threads: 16 cores, 32 CPUs.
// hwloc numbers the synthetic PUs 0..31 in order, so core c has CPUs 2c and 2c + 1.
constexpr const char* two_sockets = "pack:2 numa:2 core:4 pu:2";

std::vector<unsigned> ws(std::initializer_list<unsigned> l) { return l; }

}  // namespace

TEST(topology, reads_a_synthetic_machine) {
  const bench::topology t = bench::load_topology(two_sockets);
  EXPECT_EQ(t.source, std::string("synthetic:") + two_sockets);
  EXPECT_EQ(t.packages, 2u);
  EXPECT_EQ(t.numa_nodes, 4u);
  EXPECT_EQ(t.cores, 16u);
  EXPECT_EQ(t.cpus, 32u);
  EXPECT_EQ(t.smt_per_core, 2u);
  EXPECT_EQ(t.allowed_cores(), 16u);
  EXPECT_EQ(t.allowed_cpus(), 32u);
  ASSERT_EQ(t.allowed.size(), 16u);
  EXPECT_EQ(t.allowed[5].cpus, (std::vector<int>{10, 11}));
  EXPECT_EQ(t.allowed[5].package, 0u);
  EXPECT_EQ(t.allowed[5].numa, 1u);
  EXPECT_EQ(t.allowed[12].package, 1u);
  EXPECT_EQ(t.allowed[12].numa, 3u);
  EXPECT_THAT(bench::describe(t), HasSubstr("2 packages, 4 NUMA nodes, 16 cores x 2 threads"));
  EXPECT_THAT(bench::describe(t), HasSubstr("may use 32 of 32 CPUs (0-31)"));
}

TEST(topology, reports_caches_from_the_description) {
  const bench::topology t =
      bench::load_topology("pack:1 l3:1(size=32MiB) core:4 l2:1(size=1MiB) l1d:1(size=48KiB) pu:2");
  ASSERT_EQ(t.caches.size(), 3u);
  EXPECT_EQ(t.caches[0].level, 1u);
  EXPECT_EQ(t.caches[0].bytes, 48u * 1024);
  EXPECT_EQ(t.caches[0].instances, 4u);
  EXPECT_EQ(t.caches[2].level, 3u);
  EXPECT_EQ(t.caches[2].bytes, 32u << 20);
  EXPECT_THAT(bench::describe(t), HasSubstr("L2 1 MiB x 4, L3 32 MiB x 1"));
  const auto j = bench::to_json(t);
  EXPECT_EQ(j.at("caches").size(), 3u);
  EXPECT_EQ(j.at("smt_boundary_workers"), 4);
  EXPECT_EQ(j.at("allowed_cpus"), "0-7");
}

TEST(topology, bad_descriptions_are_usage_errors) {
  EXPECT_THROW((void)bench::load_topology("pack:two"), usage_error);
  EXPECT_THROW((void)bench::load_topology("xml:/nonexistent/machine.xml"), usage_error);
  EXPECT_THROW((void)bench::load_topology("core:2 pu:1", {7}), usage_error) << "no allowed CPU exists";
}

TEST(topology, parbench_topology_replaces_the_machine) {
  ::setenv("PARBENCH_TOPOLOGY", "core:6 pu:2", 1);
  const bench::topology t = bench::read_topology();
  ::unsetenv("PARBENCH_TOPOLOGY");
  EXPECT_EQ(t.source, "synthetic:core:6 pu:2");
  EXPECT_EQ(t.cpus, 12u);
  // And without it, this machine: at least one allowed CPU, each one this process may use.
  const bench::topology here = bench::read_topology();
  EXPECT_EQ(here.source, "machine");
  EXPECT_GE(here.allowed_cpus(), 1u);
  EXPECT_EQ(here.allowed_cpu_list(), current_cpus());
}

TEST(default_workers, run_to_the_physical_cores_then_the_smt_threads) {
  EXPECT_EQ(bench::default_workers(bench::load_topology("core:1 pu:1")), ws({1}));
  EXPECT_EQ(bench::default_workers(bench::load_topology("core:2 pu:1")), ws({1, 2}));
  EXPECT_EQ(bench::default_workers(bench::load_topology("core:6 pu:1")), ws({1, 2, 4, 6}));
  EXPECT_EQ(bench::default_workers(bench::load_topology("core:6 pu:2")), ws({1, 2, 4, 6, 12}));
  EXPECT_EQ(bench::default_workers(bench::load_topology(two_sockets)), ws({1, 2, 4, 8, 16, 32}));
  EXPECT_EQ(bench::default_workers(bench::load_topology("core:12 pu:4")), ws({1, 2, 4, 8, 12, 24, 48}));
  EXPECT_EQ(bench::smt_boundary(bench::load_topology(two_sockets)), 16u);
  EXPECT_EQ(bench::smt_boundary(bench::load_topology("core:6 pu:1")), 6u);
}

TEST(default_workers, count_only_what_the_cpuset_allows) {
  // A container given CPUs 2, 3 and 4: core 1 (both threads) and one thread of core 2.
  const bench::topology t = bench::load_topology("core:4 pu:2", {2, 3, 4});
  EXPECT_EQ(t.allowed_cores(), 2u);
  EXPECT_EQ(t.allowed_cpus(), 3u);
  EXPECT_EQ(t.cpus, 8u);
  EXPECT_EQ(bench::default_workers(t), ws({1, 2, 3}));
  EXPECT_EQ(bench::smt_boundary(t), 2u);
}

TEST(pinning, none_is_no_plan) {
  EXPECT_TRUE(bench::plan_pinning(bench::load_topology(two_sockets), pin_policy::none, 8).empty());
}

TEST(pinning, compact_fills_a_core_then_the_next) {
  const bench::topology t = bench::load_topology(two_sockets);
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::compact, 1), (std::vector<int>{0}));
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::compact, 4), (std::vector<int>{0, 1, 2, 3}));
  const std::vector<int> all = bench::plan_pinning(t, pin_policy::compact, 32);
  EXPECT_EQ(all.front(), 0);
  EXPECT_EQ(all[15], 15) << "the first package fills before the second";
  EXPECT_EQ(all.back(), 31);
}

TEST(pinning, spread_alternates_packages_and_numa_nodes_before_smt_siblings) {
  const bench::topology t = bench::load_topology(two_sockets);
  // NUMA node order p0n0, p1n2, p0n1, p1n3; their first cores are 0, 8, 4 and 12 (CPUs 2c).
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::spread, 2), (std::vector<int>{0, 16}));
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::spread, 4), (std::vector<int>{0, 16, 8, 24}));
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::spread, 5), (std::vector<int>{0, 16, 8, 24, 2}));
  const std::vector<int> sixteen = bench::plan_pinning(t, pin_policy::spread, 16);
  for (const int cpu : sixteen) EXPECT_EQ(cpu % 2, 0) << "one thread per core while cores are free";
  const std::vector<int> seventeen = bench::plan_pinning(t, pin_policy::spread, 17);
  EXPECT_EQ(seventeen.back(), 1) << "then the SMT siblings, in the same order";
  std::vector<int> every = bench::plan_pinning(t, pin_policy::spread, 32);
  std::sort(every.begin(), every.end());
  for (int c = 0; c < 32; ++c) EXPECT_EQ(every[static_cast<std::size_t>(c)], c) << "each CPU exactly once";
}

TEST(pinning, plans_use_only_the_allowed_cpus) {
  const bench::topology t = bench::load_topology("core:4 pu:2", {2, 3, 4});
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::compact, 3), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::spread, 2), (std::vector<int>{2, 4}));
  EXPECT_EQ(bench::plan_pinning(t, pin_policy::spread, 3), (std::vector<int>{2, 4, 3}));
}

TEST(pinning, more_workers_than_cpus_is_a_clear_error) {
  const bench::topology t = bench::load_topology("core:4 pu:2", {2, 3, 4});
  try {
    (void)bench::plan_pinning(t, pin_policy::spread, 4);
    FAIL() << "no error";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("4 workers cannot each have a CPU"));
    EXPECT_THAT(e.what(), HasSubstr("3 CPUs (2-4)"));
    EXPECT_THAT(e.what(), HasSubstr("--workers 3 or less"));
  }
}

TEST(sharing_warnings, name_smt_siblings_oversubscription_and_compact_placement) {
  const bench::topology t = bench::load_topology(two_sockets);
  EXPECT_TRUE(bench::sharing_warnings(t, pin_policy::none, 16).empty());
  EXPECT_TRUE(bench::sharing_warnings(t, pin_policy::spread, 16).empty());
  const auto smt = bench::sharing_warnings(t, pin_policy::none, 20);
  ASSERT_EQ(smt.size(), 1u);
  EXPECT_THAT(smt[0], HasSubstr("16 physical cores"));
  EXPECT_THAT(smt[0], HasSubstr("SMT siblings"));
  const auto over = bench::sharing_warnings(t, pin_policy::none, 40);
  ASSERT_EQ(over.size(), 1u);
  EXPECT_THAT(over[0], HasSubstr("more workers than the 32 CPUs"));
  const auto compact = bench::sharing_warnings(t, pin_policy::compact, 4);
  ASSERT_EQ(compact.size(), 1u);
  EXPECT_THAT(compact[0], HasSubstr("SMT siblings of 2 core(s)"));
  EXPECT_TRUE(bench::sharing_warnings(bench::load_topology("core:4 pu:1"), pin_policy::compact, 4).empty());
  // A container given one thread of each core: compact cannot put two workers on one core.
  EXPECT_TRUE(
      bench::sharing_warnings(bench::load_topology("core:4 pu:2", {0, 2, 4, 6}), pin_policy::compact, 3).empty());
}

TEST(pin_policy, names_round_trip) {
  for (const pin_policy p : {pin_policy::none, pin_policy::compact, pin_policy::spread})
    EXPECT_EQ(parse_pin_policy(to_string(p)), p);
  EXPECT_FALSE(parse_pin_policy("scatter").has_value());
  EXPECT_EQ(cpu_list_text({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(cpu_list_text({}), "");
}

// --- the plan of a run ---

namespace {
bench::suite pinned_suite(pin_policy pin, std::vector<unsigned> workers, std::vector<std::string> backends) {
  bench::suite s;
  s.backends = std::move(backends);
  s.workers = std::move(workers);
  s.samples = {1u << 20};
  s.pin = pin;
  s.break_even = false;
  return s;
}
}  // namespace

TEST(run_plan, holds_the_pinning_of_every_w) {
  const auto plan = bench::make_plan(pinned_suite(pin_policy::spread, {1, 4}, {"serial", "threads"}),
                                     bench::load_topology(two_sockets));
  ASSERT_TRUE(plan.pinning.contains(1));
  ASSERT_TRUE(plan.pinning.contains(4));
  EXPECT_EQ(plan.pinning.at(4)->cpus, (std::vector<int>{0, 16, 8, 24}));
  EXPECT_EQ(plan.pinning.at(4)->policy, pin_policy::spread);
  EXPECT_THAT(bench::describe(plan), HasSubstr("W=4: CPUs 0,16,8,24"));
  EXPECT_THAT(bench::describe(plan), HasSubstr("pinning: spread"));
  const auto unpinned = bench::make_plan(pinned_suite(pin_policy::none, {1, 4}, {"serial", "threads"}),
                                         bench::load_topology(two_sockets));
  EXPECT_TRUE(unpinned.pinning.empty());
}

TEST(run_plan, default_workers_come_from_the_topology) {
  auto s = pinned_suite(pin_policy::none, {}, {"serial", "threads"});
  EXPECT_EQ(bench::make_plan(s, bench::load_topology("core:6 pu:2")).workers, ws({1, 2, 4, 6, 12}));
}

TEST(run_plan, a_pinning_the_machine_cannot_give_is_refused_before_anything_runs) {
  EXPECT_THROW((void)bench::make_plan(pinned_suite(pin_policy::compact, {1, 3}, {"serial", "threads"}),
                                      bench::load_topology("core:2 pu:1")),
               usage_error);
}

// A backend that does not declare pins_workers (as cuda does not).
class unpinned_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "unpinned"; }
  std::string_view description() const noexcept override { return "test double that cannot pin"; }
  std::string_view mechanism() const noexcept override { return "none"; }
  backend_abilities abilities() const override {
    backend_abilities a;
    a.schedules = {{"static", "one block", false, true}};
    return a;
  }
  run_result run(const run_request&) override { throw run_error("not for running"); }
  void start_empty(unsigned) override {}
};

TEST(run_plan, backends_that_do_not_pin_are_skipped_from_all_and_refused_by_name) {
  static const bool registered = [] {
    (void)registered_backends();  // the built-in ones first
    detail::register_backend("unpinned", "test double", [] { return std::make_unique<unpinned_backend>(); });
    return true;
  }();
  ASSERT_TRUE(registered);
  const bench::topology two = bench::load_topology("core:2 pu:1");
  const auto plan = bench::make_plan(pinned_suite(pin_policy::compact, {1}, {"all"}), two);
  EXPECT_TRUE(std::any_of(plan.skipped.begin(), plan.skipped.end(), [](const std::string& s) {
    return s == "unpinned: does not pin its workers (--pin compact); run it with --pin none";
  })) << ::testing::PrintToString(plan.skipped);
  EXPECT_TRUE(std::none_of(plan.backends.begin(), plan.backends.end(),
                           [](const bench::planned_backend& b) { return b.entry->name == "unpinned"; }));
  try {
    (void)bench::make_plan(pinned_suite(pin_policy::compact, {1}, {"serial", "unpinned"}), two);
    FAIL() << "no error";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("backend unpinned does not pin its workers"));
  }
  // Unpinned, it takes part.
  const auto unpinned = bench::make_plan(pinned_suite(pin_policy::none, {1}, {"serial", "unpinned"}), two);
  EXPECT_EQ(unpinned.backends.size(), 2u);
}
