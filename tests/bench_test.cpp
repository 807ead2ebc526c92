#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "backends/registry.hpp"
#include "bench/derived.hpp"
#include "bench/overhead.hpp"
#include "bench/progress.hpp"
#include "bench/runner.hpp"
#include "bench/suite.hpp"
#include "bench/system_info.hpp"
#include "bench/timer.hpp"
#include "core/errors.hpp"

using namespace parbench;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

bench::result_row raw(std::string backend, unsigned workers, std::uint64_t size, double wall, unsigned rep,
                      std::string status = "ok", std::string scaling = "strong") {
  bench::result_row r;
  r.kernel = "pi";
  r.params = "rng=philox";
  r.schedule = "static";
  r.backend = std::move(backend);
  r.kind = r.backend == "serial" ? "reference" : "backend";
  r.scaling = std::move(scaling);
  r.workers = workers;
  r.size = size;
  r.items = size;
  r.row_type = "raw";
  r.repetition = rep;
  r.status = std::move(status);
  if (r.status == "ok") {
    r.wall_s = wall;
    r.cpu_s = wall * workers;
    r.result = "42";
    r.workers_used = workers;
  } else {
    r.error = "worker 1 crashed";
  }
  return r;
}

// `raw` for another kernel, parameters or schedule.
bench::result_row raw_of(std::string kernel, std::string params, std::string schedule, std::string backend,
                         unsigned workers, std::uint64_t size, double wall, unsigned rep = 0) {
  bench::result_row r = raw(std::move(backend), workers, size, wall, rep);
  r.kernel = std::move(kernel);
  r.params = std::move(params);
  r.schedule = std::move(schedule);
  return r;
}

const bench::result_row& find(const std::vector<bench::result_row>& rows, const std::string& backend, unsigned w,
                              std::uint64_t n) {
  for (const auto& r : rows)
    if (r.backend == backend && r.workers == w && r.size == n) return r;
  throw std::runtime_error("row not found");
}

const bench::result_row& find_of(const std::vector<bench::result_row>& rows, const std::string& kernel,
                                 const std::string& params, const std::string& schedule, const std::string& backend,
                                 unsigned w, std::uint64_t n) {
  for (const auto& r : rows)
    if (r.kernel == kernel && r.params == params && r.schedule == schedule && r.backend == backend && r.workers == w &&
        r.size == n)
      return r;
  throw std::runtime_error("row not found: " + kernel + " " + params + " " + schedule + " " + backend);
}

TEST(derived, summary_statistics) {
  const std::vector<double> v = {4, 1, 3, 2};
  const auto s = bench::summarize(v);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count, 4u);
  EXPECT_DOUBLE_EQ(s->median, 2.5);
  EXPECT_DOUBLE_EQ(s->mean, 2.5);
  EXPECT_DOUBLE_EQ(s->min, 1);
  EXPECT_DOUBLE_EQ(s->max, 4);
  EXPECT_NEAR(*s->stddev, std::sqrt(5.0 / 3.0), 1e-15);
  EXPECT_NEAR(*s->cv, std::sqrt(5.0 / 3.0) / 2.5, 1e-15);
  const std::vector<double> one = {7};
  EXPECT_FALSE(bench::summarize(one)->stddev.has_value());
  EXPECT_FALSE(bench::summarize(std::vector<double>{}).has_value());
}

TEST(derived, speedup_efficiency_karp_flatt) {
  EXPECT_DOUBLE_EQ(bench::speedup(8.0, 2.0), 4.0);
  EXPECT_DOUBLE_EQ(bench::efficiency(3.0, 4), 0.75);
  // Perfect scaling: serial fraction 0. S = 3 on 4 workers: (1/3 - 1/4) / (3/4) = 1/9.
  EXPECT_NEAR(*bench::karp_flatt(4.0, 4), 0.0, 1e-15);
  EXPECT_NEAR(*bench::karp_flatt(3.0, 4), 1.0 / 9.0, 1e-15);
  // Amdahl with serial fraction f gives back f.
  const double f = 0.2, w = 8;
  const double s = 1 / (f + (1 - f) / w);
  EXPECT_NEAR(*bench::karp_flatt(s, 8), f, 1e-12);
  EXPECT_FALSE(bench::karp_flatt(1.0, 1).has_value());
  EXPECT_FALSE(bench::karp_flatt(0.0, 2).has_value());
}

TEST(derived, aggregates_use_ok_repetitions_and_the_serial_median) {
  std::vector<bench::result_row> rows = {raw("serial", 1, 1000, 4.0, 0),  raw("serial", 1, 1000, 5.0, 1),
                                         raw("serial", 1, 1000, 6.0, 2),  raw("threads", 2, 1000, 2.0, 0),
                                         raw("threads", 2, 1000, 2.5, 1), raw("threads", 2, 1000, 0, 2, "failed"),
                                         raw("threads", 2, 1000, 3.0, 3), raw("fork", 2, 1000, 0, 0, "failed")};
  const auto agg = bench::aggregate(rows);
  ASSERT_EQ(agg.size(), 3u);
  const auto& serial = find(agg, "serial", 1, 1000);
  EXPECT_EQ(serial.row_type, "aggregate");
  EXPECT_DOUBLE_EQ(*serial.wall_s, 5.0);
  EXPECT_DOUBLE_EQ(*serial.speedup, 1.0);
  const auto& t = find(agg, "threads", 2, 1000);
  EXPECT_EQ(t.status, "ok");
  EXPECT_EQ(*t.repetitions, 3u) << "the failed repetition is excluded";
  EXPECT_DOUBLE_EQ(*t.wall_s, 2.5);
  EXPECT_DOUBLE_EQ(*t.wall_s_min, 2.0);
  EXPECT_DOUBLE_EQ(*t.wall_s_max, 3.0);
  EXPECT_DOUBLE_EQ(*t.speedup, 2.0);
  EXPECT_DOUBLE_EQ(*t.speedup_min, 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(*t.speedup_max, 2.5);
  EXPECT_DOUBLE_EQ(*t.efficiency, 1.0);
  EXPECT_NEAR(*t.karp_flatt, 0.0, 1e-15);
  EXPECT_DOUBLE_EQ(*t.items_per_s, 400.0);
  EXPECT_DOUBLE_EQ(*t.items_per_s_per_worker, 200.0);
  EXPECT_FALSE(t.repetition.has_value());
  EXPECT_EQ(t.result, "42") << "the result words of an ok repetition";
  EXPECT_EQ(t.workers_used, 2u);
  EXPECT_EQ(t.kernel, "pi");
  EXPECT_EQ(t.params, "rng=philox");
  EXPECT_EQ(t.schedule, "static");
  const auto& f = find(agg, "fork", 2, 1000);
  EXPECT_EQ(f.status, "failed");
  EXPECT_EQ(f.error, "worker 1 crashed");
  EXPECT_FALSE(f.wall_s.has_value());
  EXPECT_EQ(*f.repetitions, 0u);
}

TEST(derived, aggregate_never_mixes_kernels_params_or_schedules) {
  // Same backend, W and size: six configurations that differ only in kernel, params or schedule.
  const std::vector<bench::result_row> rows = {
      raw_of("pi", "rng=philox", "static", "threads", 2, 1000, 1.0, 0),
      raw_of("pi", "rng=philox", "static", "threads", 2, 1000, 1.2, 1),
      raw_of("pi", "rng=light", "static", "threads", 2, 1000, 3.0, 0),
      raw_of("pi", "rng=philox", "dynamic", "threads", 2, 1000, 5.0, 0),
      raw_of("pi", "rng=philox", "dynamic:4", "threads", 2, 1000, 6.0, 0),
      raw_of("imbalanced", "rng=philox", "static", "threads", 2, 1000, 7.0, 0),
      raw_of("imbalanced", "profile=heavy;rng=philox", "static", "threads", 2, 1000, 9.0, 0)};
  const auto agg = bench::aggregate(rows);
  ASSERT_EQ(agg.size(), 6u);
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=philox", "static", "threads", 2, 1000).wall_s, 1.1);
  EXPECT_EQ(*find_of(agg, "pi", "rng=philox", "static", "threads", 2, 1000).repetitions, 2u);
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=light", "static", "threads", 2, 1000).wall_s, 3.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=philox", "dynamic", "threads", 2, 1000).wall_s, 5.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=philox", "dynamic:4", "threads", 2, 1000).wall_s, 6.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "imbalanced", "rng=philox", "static", "threads", 2, 1000).wall_s, 7.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "imbalanced", "profile=heavy;rng=philox", "static", "threads", 2, 1000).wall_s, 9.0);
  for (const auto& a : agg) {
    EXPECT_EQ(*a.repetitions, a.wall_s == 1.1 ? 2u : 1u);
    EXPECT_FALSE(a.speedup.has_value()) << "no serial reference in the rows";
  }
  // A different kernel version is another configuration too.
  auto v2 = rows[0];
  v2.kernel_version = 2;
  EXPECT_EQ(bench::aggregate({rows[0], v2}).size(), 2u);
}

TEST(derived, speedup_reference_is_serial_of_the_same_kernel_and_params) {
  const std::vector<bench::result_row> rows = {
      raw_of("pi", "rng=philox", "static", "serial", 1, 1000, 1.0),
      raw_of("pi", "rng=light", "static", "serial", 1, 1000, 0.5),
      raw_of("imbalanced", "rng=philox", "static", "serial", 1, 1000, 8.0),
      raw_of("pi", "rng=philox", "static", "serial", 1, 2000, 2.0),
      raw_of("pi", "rng=philox", "dynamic", "threads", 2, 1000, 0.5),
      raw_of("pi", "rng=light", "dynamic", "threads", 2, 1000, 0.125),
      raw_of("imbalanced", "rng=philox", "dynamic", "threads", 2, 1000, 2.0),
      raw_of("imbalanced", "rng=philox", "static", "threads", 2, 1000, 4.0),
      raw_of("imbalanced", "profile=heavy;rng=philox", "static", "threads", 2, 1000, 1.0)};
  const auto agg = bench::aggregate(rows);
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=philox", "dynamic", "threads", 2, 1000).speedup, 2.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=light", "dynamic", "threads", 2, 1000).speedup, 4.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "imbalanced", "rng=philox", "dynamic", "threads", 2, 1000).speedup, 4.0);
  EXPECT_DOUBLE_EQ(*find_of(agg, "imbalanced", "rng=philox", "static", "threads", 2, 1000).speedup, 2.0)
      << "every schedule divides the same serial time";
  EXPECT_FALSE(find_of(agg, "imbalanced", "profile=heavy;rng=philox", "static", "threads", 2, 1000).speedup)
      << "no serial run with these parameters: no speedup rather than another kernel's";
  EXPECT_DOUBLE_EQ(*find_of(agg, "pi", "rng=light", "static", "serial", 1, 1000).speedup, 1.0);
  // The reference's kernel version must match as well.
  auto other_version = rows[4];
  other_version.kernel_version = 7;
  EXPECT_FALSE(bench::aggregate({rows[0], other_version})[1].speedup.has_value());
}

TEST(derived, weak_scaling_compares_with_serial_times_w) {
  // Serial: 1.0 s for 1000 samples. 4 workers on 4000 samples in 1.25 s: S = 4 * 1.0 / 1.25.
  std::vector<bench::result_row> rows = {raw("serial", 1, 1000, 1.0, 0, "ok", "weak"),
                                         raw("threads", 4, 4000, 1.25, 0, "ok", "weak")};
  const auto agg = bench::aggregate(rows);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 4, 4000).speedup, 3.2);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 4, 4000).efficiency, 0.8);
}

// EPCC-style: (T(S steps) - T(same work in one step)) / S, the range from the extremes.
TEST(derived, sync_cost_per_step_pairs_a_stepped_configuration_with_its_single_step_twin) {
  const auto stepped = [](std::string backend, unsigned w, double wall, unsigned rep) {
    auto r = raw_of("stepped", "steps=100;rng=philox", "static", std::move(backend), w, 1000, wall, rep);
    r.steps = 100;
    r.single_step_params = "steps=1;rng=philox";
    r.single_step_size = 1000;
    return r;
  };
  const auto one = [](std::string backend, unsigned w, double wall, unsigned rep) {
    auto r = raw_of("stepped", "steps=1;rng=philox", "static", std::move(backend), w, 1000, wall, rep);
    r.steps = 1;
    return r;
  };
  std::vector<bench::result_row> rows = {
      stepped("threads", 2, 0.030, 0), stepped("threads", 2, 0.031, 1), stepped("threads", 2, 0.029, 2),
      one("threads", 2, 0.010, 0),     one("threads", 2, 0.011, 1),     one("threads", 2, 0.012, 2),
      stepped("fork", 2, 0.050, 0),                                  // no single-step twin for fork: no figure
      stepped("openmp", 2, 0.020, 0),  one("openmp", 1, 0.010, 0)};  // a twin at another W does not count
  const auto agg = bench::aggregate(rows);
  const auto& t = find_of(agg, "stepped", "steps=100;rng=philox", "static", "threads", 2, 1000);
  ASSERT_TRUE(t.sync_per_step_s.has_value());
  EXPECT_NEAR(*t.sync_per_step_s, (0.030 - 0.011) / 100, 1e-15);
  EXPECT_NEAR(*t.sync_per_step_s_min, (0.029 - 0.012) / 100, 1e-15);
  EXPECT_NEAR(*t.sync_per_step_s_max, (0.031 - 0.010) / 100, 1e-15);
  EXPECT_FALSE(find_of(agg, "stepped", "steps=1;rng=philox", "static", "threads", 2, 1000).sync_per_step_s)
      << "the twin itself has one step";
  EXPECT_FALSE(find_of(agg, "stepped", "steps=100;rng=philox", "static", "fork", 2, 1000).sync_per_step_s);
  EXPECT_FALSE(find_of(agg, "stepped", "steps=100;rng=philox", "static", "openmp", 2, 1000).sync_per_step_s);
  EXPECT_DOUBLE_EQ(bench::sync_per_step(0.5, 0.3, 4), 0.05);
}

TEST(derived, break_even_is_the_smallest_size_from_which_the_backend_keeps_winning) {
  std::vector<bench::result_row> rows;
  // serial: 1 ns/sample. threads: 2 workers, 60 us start-up: loses at 1e3, 1e4; wins from 1e5.
  // fork: wins at 1e4 by noise, loses at 1e5, wins at 1e6: break-even 1e6.
  // openmp: never wins.
  const std::vector<std::uint64_t> sizes = {1000, 10000, 100000, 1000000};
  const std::vector<double> fork = {2e-6, 0.9e-5, 1.1e-4, 0.6e-3};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const double n = static_cast<double>(sizes[i]);
    rows.push_back(raw("serial", 1, sizes[i], n * 1e-9, 0));
    rows.push_back(raw("threads", 2, sizes[i], 60e-6 + n * 0.5e-9, 0));
    rows.push_back(raw("fork", 2, sizes[i], fork[i], 0));
    rows.push_back(raw("openmp", 2, sizes[i], n * 2e-9, 0));
  }
  const auto be = bench::break_even(bench::aggregate(rows));
  ASSERT_EQ(be.size(), 3u);
  EXPECT_EQ(be[0].backend, "threads");
  EXPECT_EQ(be[0].break_even_size, 1000000u) << "at 1e5 threads needs 110 us, serial 100 us";
  EXPECT_EQ(be[0].sizes_tried, "1000;10000;100000;1000000");
  EXPECT_EQ(be[1].backend, "fork");
  EXPECT_EQ(be[1].break_even_size, 1000000u);
  EXPECT_EQ(be[2].backend, "openmp");
  EXPECT_FALSE(be[2].break_even_size.has_value());
}

TEST(derived, break_even_treats_a_failed_size_as_not_winning) {
  std::vector<bench::result_row> rows = {raw("serial", 1, 100, 1.0, 0), raw("serial", 1, 1000, 10.0, 0),
                                         raw("tbb", 2, 100, 0.5, 0), raw("tbb", 2, 1000, 0, 0, "failed")};
  const auto be = bench::break_even(bench::aggregate(rows));
  ASSERT_EQ(be.size(), 1u);
  EXPECT_FALSE(be[0].break_even_size.has_value());
}

TEST(derived, break_even_is_per_kernel_params_and_schedule) {
  std::vector<bench::result_row> rows;
  // threads static wins from 1e4, threads dynamic only at 1e5 (more overhead); the light rng
  // and the imbalanced kernel have references of their own.
  const std::vector<std::uint64_t> sizes = {1000, 10000, 100000};
  for (const auto n : sizes) {
    const double t = static_cast<double>(n) * 1e-9;
    rows.push_back(raw_of("pi", "rng=philox", "static", "serial", 1, n, t));
    rows.push_back(raw_of("pi", "rng=philox", "static", "threads", 2, n, 4e-6 + t / 2));
    rows.push_back(raw_of("pi", "rng=philox", "dynamic", "threads", 2, n, 40e-6 + t / 2));
    rows.push_back(raw_of("pi", "rng=light", "static", "serial", 1, n, t / 10));
    rows.push_back(raw_of("pi", "rng=light", "static", "threads", 2, n, 4e-6 + t / 20));
    rows.push_back(raw_of("imbalanced", "rng=philox", "static", "serial", 1, n, t * 10));
    rows.push_back(raw_of("imbalanced", "rng=philox", "dynamic", "threads", 2, n, 20e-6 + t * 5));
  }
  const auto be = bench::break_even(bench::aggregate(rows));
  ASSERT_EQ(be.size(), 4u);
  const auto row = [&](const std::string& kernel, const std::string& params, const std::string& schedule) {
    for (const auto& b : be)
      if (b.kernel == kernel && b.params == params && b.schedule == schedule) return b;
    ADD_FAILURE() << "no break-even row for " << kernel << " " << params << " " << schedule;
    return bench::break_even_row{};
  };
  EXPECT_EQ(row("pi", "rng=philox", "static").break_even_size, 10000u) << "at 1e4: 10 us serial, 9 us threads";
  EXPECT_EQ(row("pi", "rng=philox", "dynamic").break_even_size, 100000u);
  EXPECT_EQ(row("pi", "rng=light", "static").break_even_size, 100000u) << "against serial with rng=light";
  EXPECT_EQ(row("imbalanced", "rng=philox", "dynamic").break_even_size, 10000u);
  for (const auto& b : be) {
    EXPECT_EQ(b.backend, "threads");
    EXPECT_EQ(b.workers, 2u);
    EXPECT_EQ(b.sizes_tried, "1000;10000;100000");
  }
}

TEST(overhead, subtracts_the_reference_and_summarises_outer_repetitions) {
  const std::vector<double> per_call = {12e-6, 10e-6, 11e-6, 30e-6, 10.5e-6};
  const auto r = bench::summarize_overhead("fork + pipe + waitpid", "fork", 4, per_call, 1e-6, 250, 1 << 20);
  EXPECT_NEAR(r.median_us, 10.0, 1e-9);
  EXPECT_NEAR(r.min_us, 9.0, 1e-9);
  EXPECT_NEAR(r.max_us, 29.0, 1e-9);
  EXPECT_NEAR(r.reference_us, 1.0, 1e-12);
  EXPECT_EQ(r.outer_reps, 5u);
  EXPECT_EQ(r.inner_reps, 250u);
  EXPECT_EQ(r.parent_rss_bytes, 1u << 20);
  EXPECT_GT(r.stddev_us, 5.0);
}

TEST(suite, file_values_override_the_base) {
  const auto s = bench::parse_suite(R"({"name": "quick", "backends": ["serial", "threads"], "workers": "1-3",
      "samples": ["1e6", 2048], "repetitions": 3, "scaling": "weak", "rng": "light", "seed": 7,
      "break_even": false, "min_time": 0.5})",
                                    "quick.json");
  EXPECT_EQ(s.name, "quick");
  EXPECT_EQ(s.backends, (std::vector<std::string>{"serial", "threads"}));
  EXPECT_EQ(s.workers, (std::vector<unsigned>{1, 2, 3}));
  EXPECT_EQ(s.samples, (std::vector<std::uint64_t>{1000000, 2048}));
  EXPECT_EQ(s.repetitions, 3u);
  EXPECT_EQ(s.scaling, "weak");
  EXPECT_EQ(s.rng, "light");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_FALSE(s.break_even);
  EXPECT_TRUE(s.overhead) << "not in the file: the base value stays";
  EXPECT_DOUBLE_EQ(s.min_time_s, 0.5);
  const auto round = bench::parse_suite(bench::to_json(s).dump(), "round.json");
  EXPECT_EQ(round.samples, s.samples);
}

TEST(suite, default_suite_runs_pi_and_imbalanced_with_every_schedule) {
  const auto s = bench::default_suite();
  ASSERT_EQ(s.kernels.size(), 4u);
  EXPECT_EQ(s.kernels[3].name, "triad");
  ASSERT_EQ(s.kernels[3].samples.size(), 1u);
  EXPECT_LE(s.kernels[3].samples[0], std::uint64_t{1} << 25) << "capped to keep the default run short";
  EXPECT_GE(s.kernels[3].samples[0], std::uint64_t{1} << 24);
  EXPECT_TRUE(s.kernels[3].workers_at_cpus);
  EXPECT_EQ(s.kernels[2].name, "stepped");
  EXPECT_EQ(s.kernels[2].params, (parbench::param_values{{"steps", "1000"}}));
  EXPECT_EQ(s.kernels[2].break_even, false);
  EXPECT_EQ(s.kernels[0].name, "pi");
  EXPECT_TRUE(s.kernels[0].samples.empty()) << "pi takes the suite's sizes";
  EXPECT_TRUE(s.kernels[0].schedules.empty());
  EXPECT_EQ(s.kernels[1].name, "imbalanced");
  EXPECT_FALSE(s.kernels[1].samples.empty());
  EXPECT_TRUE(s.kernels[1].workers_at_cpus);
  EXPECT_EQ(s.kernels[1].schedules, (std::vector<std::string>{"all"}));
  EXPECT_EQ(s.kernels[1].break_even, false);
  EXPECT_EQ(s.schedules, (std::vector<std::string>{"default"}));
}

TEST(suite, kernels_entries_carry_their_own_settings) {
  const auto s = bench::parse_suite(R"({"kernels": ["pi", {"name": "imbalanced", "params": {"profile": "heavy",
      "max_weight": 8}, "samples": [4096, "1e4"], "workers": "cpus", "schedules": ["dynamic:2", "static"],
      "break_even": false}, {"name": "pi", "params": {"rng": "light"}, "workers": [1, 3]}],
      "params": {"rng": "light"}, "schedules": ["all"]})",
                                    "k.json");
  ASSERT_EQ(s.kernels.size(), 3u);
  EXPECT_EQ(s.kernels[0].name, "pi");
  EXPECT_TRUE(s.kernels[0].params.empty());
  const auto& imb = s.kernels[1];
  EXPECT_EQ(imb.name, "imbalanced");
  EXPECT_EQ(imb.params, (param_values{{"max_weight", "8"}, {"profile", "heavy"}})) << "in the order JSON gives";
  EXPECT_EQ(imb.samples, (std::vector<std::uint64_t>{4096, 10000}));
  EXPECT_TRUE(imb.workers_at_cpus);
  EXPECT_EQ(imb.schedules, (std::vector<std::string>{"dynamic:2", "static"}));
  EXPECT_EQ(imb.break_even, false);
  EXPECT_EQ(s.kernels[2].workers, (std::vector<unsigned>{1, 3}));
  EXPECT_FALSE(s.kernels[2].break_even.has_value()) << "not in the entry: the suite's";
  EXPECT_EQ(s.params, (param_values{{"rng", "light"}}));
  EXPECT_EQ(s.schedules, (std::vector<std::string>{"all"}));
  const auto round = bench::parse_suite(bench::to_json(s).dump(), "round.json");
  ASSERT_EQ(round.kernels.size(), 3u);
  EXPECT_EQ(round.kernels[1].params, imb.params);
  EXPECT_EQ(round.kernels[1].samples, imb.samples);
  EXPECT_TRUE(round.kernels[1].workers_at_cpus);
  EXPECT_EQ(round.kernels[1].schedules, imb.schedules);
  EXPECT_EQ(round.kernels[1].break_even, false);
  EXPECT_EQ(round.kernels[2].workers, s.kernels[2].workers);
}

// --- make_plan ---

namespace {
// A machine of `n` single-threaded cores (hwloc's synthetic topology).
bench::topology cpus(unsigned n) { return bench::load_topology(fmt::format("core:{} pu:1", n)); }
}  // namespace

// A backend with device code for pi only, as cuda declares it.
class pi_only_backend final : public backend {
 public:
  std::string_view name() const noexcept override { return "pi-only"; }
  std::string_view description() const noexcept override { return "test double with device code for pi only"; }
  std::string_view mechanism() const noexcept override { return "none"; }
  backend_abilities abilities() const override {
    backend_abilities a;
    a.schedules = {{"grid-stride", "one grid-stride loop", false, true}};
    a.kernels = {"pi"};
    return a;
  }
  run_result run(const run_request&) override { throw run_error("not for running"); }
  void start_empty(unsigned) override {}
};

void register_pi_only() {
  static const bool done = [] {
    (void)registered_backends();  // the built-in ones first
    detail::register_backend("pi-only", "test double", [] { return std::make_unique<pi_only_backend>(); });
    return true;
  }();
  (void)done;
}

bool built(const std::string& name) {
  const auto& all = registered_backends();
  return std::any_of(all.begin(), all.end(), [&](const backend_entry& e) { return e.name == name; });
}

bench::suite plan_suite(std::vector<std::string> backends, std::vector<std::string> schedules) {
  bench::suite s;
  s.backends = std::move(backends);
  s.schedules = std::move(schedules);
  s.workers = {1, 2};
  s.samples = {4096};
  s.break_even = false;
  s.break_even_sizes.clear();
  s.overhead = false;
  bench::kernel_entry imbalanced;
  imbalanced.name = "imbalanced";
  s.kernels = {bench::kernel_entry{}, imbalanced};
  return s;
}

// "kernel backend schedule W" of every configuration.
std::set<std::string> configs_of(const bench::run_plan& plan) {
  std::set<std::string> out;
  for (const auto& c : plan.configs)
    out.insert(std::string(plan.kernels[c.kernel].definition->name()) + " " + plan.backends[c.backend].entry->name +
               " " + to_string(c.schedule) + " " + std::to_string(c.workers));
  return out;
}

TEST(plan, completes_each_kernels_parameters) {
  auto s = plan_suite({"serial"}, {"default"});
  s.rng = "light";
  s.kernels[1].params = {{"profile", "heavy"}};
  const auto plan = bench::make_plan(s, cpus(2));
  ASSERT_EQ(plan.kernels.size(), 2u);
  EXPECT_EQ(plan.kernels[0].definition->name(), "pi");
  EXPECT_EQ(plan.kernels[0].params_text, "rng=light");
  EXPECT_EQ(plan.kernels[1].definition->name(), "imbalanced");
  EXPECT_THAT(plan.kernels[1].params_text, HasSubstr("profile=heavy"));
  EXPECT_THAT(plan.kernels[1].params_text, HasSubstr("max_weight=16"));
  EXPECT_THAT(plan.kernels[1].params_text, HasSubstr("rng=light"));
  EXPECT_EQ(configs_of(plan), (std::set<std::string>{"pi serial static 1", "imbalanced serial static 1"}))
      << "serial, the reference, runs at W = 1 only";
  // The same kernel twice with the same parameters is a usage error; with others it is not.
  s.kernels = {bench::kernel_entry{}, bench::kernel_entry{}};
  EXPECT_THROW((void)bench::make_plan(s, cpus(2)), usage_error);
  s.kernels[1].params = {{"rng", "philox"}};
  EXPECT_EQ(bench::make_plan(s, cpus(2)).kernels.size(), 2u);
  // A suite-wide parameter no kernel declares.
  s.params = {{"profile", "heavy"}};
  EXPECT_THROW((void)bench::make_plan(s, cpus(2)), usage_error);
}

TEST(plan, kernels_times_schedules_leave_out_what_a_backend_does_not_offer) {
  if (!built("tbb")) GTEST_SKIP() << "tbb is not in this build";
  const auto plan = bench::make_plan(plan_suite({"serial", "threads", "tbb"}, {"static", "dynamic"}), cpus(2));
  std::set<std::string> expected;
  for (const std::string k : {"pi", "imbalanced"}) {
    expected.insert(k + " serial static 1");
    for (const std::string w : {"1", "2"}) {
      for (const char* config : {" threads static ", " threads dynamic ", " tbb static "}) {
        std::string line = k;
        line += config;
        line += w;
        expected.insert(line);
      }
    }
  }
  EXPECT_EQ(configs_of(plan), expected);
  EXPECT_EQ(plan.configs.size(), expected.size()) << "no configuration twice";
  EXPECT_THAT(plan.left_out, Contains(HasSubstr("pi on tbb: schedule dynamic not offered")));
  EXPECT_THAT(plan.left_out, Contains(HasSubstr("imbalanced on tbb: schedule dynamic not offered")));
  for (const auto& note : plan.left_out) EXPECT_THAT(note, Not(HasSubstr("threads"))) << note;
  EXPECT_THAT(bench::describe(plan), HasSubstr("left out: pi on tbb"));
}

TEST(plan, a_schedule_with_a_grain_is_kept_as_given) {
  const auto plan = bench::make_plan(plan_suite({"serial", "threads"}, {"dynamic:4"}), cpus(2));
  EXPECT_THAT(configs_of(plan), Contains("pi threads dynamic:4 2"));
  EXPECT_THAT(configs_of(plan), Contains("imbalanced threads dynamic:4 1"));
}

TEST(plan, a_schedule_no_backend_offers_is_a_usage_error) {
  // Serial, the reference, offers only static: it must not count as offering the others.
  for (const char* name : {"guided", "nosuch", "dynamic"}) {
    const std::vector<std::string> backends = std::string(name) == "dynamic"
                                                  ? std::vector<std::string>{"serial"}
                                                  : std::vector<std::string>{"serial", "threads"};
    try {
      (void)bench::make_plan(plan_suite(backends, {name}), cpus(2));
      ADD_FAILURE() << "schedule '" << name << "' was accepted";
    } catch (const usage_error& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("'") + name + "'"));
    }
  }
}

TEST(plan, all_expands_to_every_schedule_of_each_backend) {
  std::vector<std::string> backends = {"serial", "threads"};
  if (built("openmp")) backends.push_back("openmp");
  const auto plan = bench::make_plan(plan_suite(backends, {"all"}), cpus(2));
  EXPECT_TRUE(plan.left_out.empty()) << plan.left_out.front();
  for (const auto& b : plan.backends) {
    std::set<std::string> want, got;
    if (b.kind == "reference")
      want = {b.instance->abilities().schedules.front().name};
    else
      for (const auto& o : b.instance->abilities().schedules) want.insert(o.name);
    for (const auto& c : plan.configs)
      if (plan.backends[c.backend].entry == b.entry && c.kernel == 1) got.insert(to_string(c.schedule));
    EXPECT_EQ(got, want) << b.entry->name;
  }
  EXPECT_THAT(configs_of(plan), Contains("imbalanced threads dynamic 2"));
  if (built("openmp")) {
    EXPECT_THAT(configs_of(plan), Contains("pi openmp guided 1"));
  }
}

TEST(plan, kernel_entries_override_schedules_workers_and_sizes) {
  auto s = plan_suite({"serial", "threads"}, {"default"});
  s.kernels[1].schedules = {"all"};
  s.kernels[1].workers_at_cpus = true;
  s.kernels[1].samples = {8192};
  const auto plan = bench::make_plan(s, cpus(3));
  EXPECT_EQ(configs_of(plan), (std::set<std::string>{"pi serial static 1", "pi threads static 1", "pi threads static 2",
                                                     "imbalanced serial static 1", "imbalanced threads static 3",
                                                     "imbalanced threads dynamic 3"}));
  for (const auto& c : plan.configs) EXPECT_EQ(c.samples, c.kernel == 0 ? 4096u : 8192u);
}

// A stepped kernel brings its single-step twin: same backends, schedules and W, the same work.
TEST(plan, a_stepped_kernel_also_runs_the_same_work_in_one_step) {
  bench::suite s;
  s.kernels = {bench::kernel_entry{"stepped", {{"steps", "7"}}, {1000, 50}, {}, false, {}, true}};
  s.samples = {1000};
  s.backends = {"threads"};
  s.workers = {1, 2};
  s.break_even_sizes = {200};
  const auto plan = bench::make_plan(s, cpus(2));
  ASSERT_EQ(plan.kernels.size(), 2u);
  EXPECT_EQ(plan.kernels[0].params_text, "steps=7;rng=philox");
  EXPECT_EQ(plan.kernels[1].params_text, "steps=1;rng=philox");
  EXPECT_FALSE(plan.kernels[1].break_even) << "the twin is a reference, not a subject";
  std::set<std::tuple<std::string, unsigned, std::uint64_t>> twin;
  std::size_t stepped = 0;
  for (const auto& c : plan.configs) {
    if (c.kernel == 1) twin.insert({plan.backends[c.backend].entry->name, c.workers, c.samples});
    if (c.kernel == 0 && c.samples != 200) ++stepped;
  }
  // 1000 and 50 points in 7 steps: 994 and 49 points in all, which the twin draws in one step.
  EXPECT_TRUE(twin.count({"threads", 2, 994}));
  EXPECT_TRUE(twin.count({"threads", 1, 49}));
  EXPECT_TRUE(twin.count({"serial", 1, 994}));
  EXPECT_FALSE(twin.count({"threads", 2, 196})) << "no break-even sweep for the twin";
  EXPECT_EQ(twin.size(), 6u);  // serial W=1 and threads W=1, 2 at both sizes
  EXPECT_EQ(stepped, 6u);
  // Listing the twin by hand does not add it twice.
  s.kernels.push_back(bench::kernel_entry{"stepped", {{"steps", "1"}}, {}, {}, false, {}, false});
  EXPECT_EQ(bench::make_plan(s, cpus(2)).kernels.size(), 2u);
}

TEST(plan, a_backend_without_code_for_a_kernel_runs_only_the_others) {
  register_pi_only();
  const auto plan = bench::make_plan(plan_suite({"serial", "pi-only"}, {"default"}), cpus(2));
  EXPECT_EQ(configs_of(plan), (std::set<std::string>{"pi serial static 1", "imbalanced serial static 1",
                                                     "pi pi-only grid-stride 1", "pi pi-only grid-stride 2"}));
  EXPECT_THAT(plan.left_out, Contains(HasSubstr("imbalanced on pi-only")));
  EXPECT_THAT(plan.left_out, Not(Contains(HasSubstr("pi on pi-only"))));
}

struct bad_suite {
  const char* text;
  const char* message;
};

class suite_errors : public ::testing::TestWithParam<bad_suite> {};

TEST_P(suite_errors, name_the_file_line_and_problem) {
  try {
    (void)bench::parse_suite(GetParam().text, "s.json");
    FAIL() << "accepted: " << GetParam().text;
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(GetParam().message));
  }
}

INSTANTIATE_TEST_SUITE_P(
    catalogue, suite_errors,
    ::testing::Values(
        bad_suite{"", "s.json: the suite file is empty"}, bad_suite{"  \n ", "is empty"},
        bad_suite{"{\n  \"workers\": [1, 2,\n}", "s.json:3:1: malformed JSON"},
        bad_suite{"[1, 2]", "expected a JSON object"},
        bad_suite{"{\n\n  \"worker\": [1]\n}", "s.json:3:3: unknown key 'worker'"},
        bad_suite{"{\"backends\": [\"serial\", \"nosuch\"]}", "unknown backend 'nosuch'"},
        bad_suite{"{\"backends\": 3}", "'backends' must be"}, bad_suite{"{\"workers\": [0]}", "'workers'"},
        bad_suite{"{\"samples\": [\"1e6+3\"]}", "'samples'"},
        bad_suite{"{\"repetitions\": 0}", "'repetitions' must be a whole number from 1 to 1000"},
        bad_suite{"{\"scaling\": \"medium\"}", "\"strong\" or \"weak\""}, bad_suite{"{\"rng\": \"mt19937\"}", "'rng'"},
        bad_suite{"{\"overhead\": \"yes\"}", "true or false"},
        bad_suite{"{\"timeout\": 0}", "'timeout' must be a number of seconds from 0.001 to 1e7"},
        bad_suite{"{\"timeout\": 1e8}", "'timeout' must be"},
        bad_suite{"{\"min_time\": 0.0001}", "'min_time' must be 0 (one run per repetition)"},
        bad_suite{"{\"min_time\": -1}", "'min_time' must be"},
        bad_suite{"{\"kernels\": [\n  {\"name\": \"pi\", \"bogus\": 1}]}",
                  "s.json:2:18: unknown key 'bogus' in a kernels entry"},
        bad_suite{"{\"kernels\": []}", "'kernels' must be a non-empty array"},
        bad_suite{"{\"kernels\": [3]}", "'kernels' must be an array of kernel names or objects"},
        bad_suite{"{\"kernels\": [\"nosuch\"]}", "nosuch"},
        bad_suite{"{\"kernels\": [{\"name\": \"imbalanced\", \"params\": {\"profile\": \"flat\"}}]}", "flat"},
        bad_suite{"{\"kernels\": [{\"name\": \"pi\", \"params\": {\"nosuch\": 1}}]}", "nosuch"},
        bad_suite{"{\"kernels\": [{\"name\": \"pi\", \"workers\": [0]}]}", "'kernels'"},
        bad_suite{"{\"kernels\": [{\"name\": \"pi\", \"break_even\": 1}]}", "true or false"},
        bad_suite{"{\"schedules\": []}", "'schedules' must be a non-empty array"}));

TEST(suite, min_time_zero_means_one_run_per_repetition) {
  EXPECT_DOUBLE_EQ(bench::parse_suite(R"({"min_time": 0})", "s.json").min_time_s, 0.0);
  EXPECT_DOUBLE_EQ(bench::parse_suite(R"({"timeout": 0.5})", "s.json").timeout_s, 0.5);
}

TEST(suite, missing_file_is_a_usage_error) {
  try {
    (void)bench::read_suite("/nonexistent/suite.json");
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/suite.json"));
  }
}

}  // namespace

namespace {

TEST(derived, break_even_counts_a_win_only_outside_the_spread_of_the_repetitions) {
  // At 1e4 threads' median (9 us) beats serial's (10 us), but its slowest repetition (11 us) is
  // slower than serial's fastest (9.5 us): not a real win. At 1e5 every repetition wins.
  std::vector<bench::result_row> rows = {
      raw("serial", 1, 10000, 10e-6, 0),   raw("serial", 1, 10000, 9.5e-6, 1),  raw("serial", 1, 10000, 10.5e-6, 2),
      raw("threads", 2, 10000, 9e-6, 0),   raw("threads", 2, 10000, 8.5e-6, 1), raw("threads", 2, 10000, 11e-6, 2),
      raw("serial", 1, 100000, 100e-6, 0), raw("serial", 1, 100000, 99e-6, 1),  raw("serial", 1, 100000, 101e-6, 2),
      raw("threads", 2, 100000, 55e-6, 0), raw("threads", 2, 100000, 50e-6, 1), raw("threads", 2, 100000, 60e-6, 2)};
  const auto agg = bench::aggregate(rows);
  EXPECT_GT(*find(agg, "threads", 2, 10000).speedup, 1.0) << "the medians alone would call it a win";
  const auto be = bench::break_even(agg);
  ASSERT_EQ(be.size(), 1u);
  EXPECT_EQ(be[0].break_even_size, 100000u);
  EXPECT_EQ(be[0].sizes_tried, "10000;100000") << "the sweep is unchanged";
  EXPECT_TRUE(bench::beats_reference(find(agg, "threads", 2, 100000), find(agg, "serial", 1, 100000)));
  EXPECT_FALSE(bench::beats_reference(find(agg, "threads", 2, 10000), find(agg, "serial", 1, 10000)));
}

TEST(derived, break_even_has_no_rows_for_one_worker) {
  std::vector<bench::result_row> rows = {raw("serial", 1, 1000, 1.0, 0), raw("threads", 1, 1000, 0.99, 0),
                                         raw("threads", 2, 1000, 0.5, 0)};
  const auto be = bench::break_even(bench::aggregate(rows));
  ASSERT_EQ(be.size(), 1u) << "W = 1 can beat serial by noise only";
  EXPECT_EQ(be[0].workers, 2u);
  EXPECT_EQ(be[0].break_even_size, 1000u);
}

TEST(derived, weak_scaling_efficiency_is_t1_over_tw_at_fixed_work_per_worker) {
  // 1000 samples per worker: serial 2.0 s; 2 workers on 2000 samples 2.5 s; 4 on 4000 in 4.0 s.
  std::vector<bench::result_row> rows = {raw("serial", 1, 1000, 2.0, 0, "ok", "weak"),
                                         raw("threads", 2, 2000, 2.5, 0, "ok", "weak"),
                                         raw("threads", 4, 4000, 4.0, 0, "ok", "weak")};
  const auto agg = bench::aggregate(rows);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 2, 2000).efficiency, 2.0 / 2.5);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 4, 4000).efficiency, 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 4, 4000).speedup, 4 * 2.0 / 4.0) << "scaled speedup W T(1) / T(W)";
}

// A progress writing to a temporary file with a fake width and a fake clock.
struct captured_progress {
  std::FILE* file = std::tmpfile();
  std::chrono::steady_clock::time_point t{};
  std::string text() const {
    std::fflush(file);
    std::rewind(file);
    std::string out;
    for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) out += static_cast<char>(c);
    return out;
  }
  bench::progress_output output(unsigned width) {
    return {file, width, [this] { return t; }};
  }
  ~captured_progress() { std::fclose(file); }
};

TEST(progress, a_terminal_line_fits_the_width_and_never_wraps) {
  captured_progress cap;
  {
    bench::progress p(false, true, cap.output(40));
    p.phase("timed runs", 3, 3);
    p.step("pi threads static W=16 n=1073741824 and a long tail", 1);
    p.step("short", 1);
  }
  const std::string text = cap.text();
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line, overwritten";
  std::size_t updates = 0;
  for (std::size_t pos = text.find("\r\033[K"); pos != std::string::npos; pos = text.find("\r\033[K", pos + 1)) {
    const std::size_t next = text.find("\r\033[K", pos + 1);
    const std::string line = text.substr(pos + 4, (next == std::string::npos ? text.size() : next) - pos - 4);
    EXPECT_LE(line.size(), 39u) << "width - 1: '" << line << "'";
    ++updates;
  }
  EXPECT_EQ(updates, 3u) << "two updates and the final clear";
  EXPECT_THAT(text, HasSubstr("\r\033[K[1/3] ETA 0s timed runs: pi threads sta\r"));
  EXPECT_THAT(text, HasSubstr("[2/3] ETA 0s timed runs: short"));
  EXPECT_EQ(bench::fit_to_width("W\xc3\xa9\xc3\xa9x", 3), "W\xc3\xa9\xc3\xa9") << "UTF-8 kept whole";
  EXPECT_EQ(bench::fit_to_width("abc", 0), "");
}

TEST(progress, without_a_terminal_a_short_run_prints_one_line_per_phase) {
  captured_progress cap;
  {
    bench::progress p(false, false, cap.output(0));
    p.phase("timed runs", 35, 35);
    for (int i = 0; i < 35; ++i) {
      cap.t += std::chrono::milliseconds(17);  // 0.6 s in all
      p.step("x", 1);
    }
    p.finish();
  }
  EXPECT_EQ(cap.text(), "parbench: timed runs (35 steps)\n");
}

TEST(progress, without_a_terminal_a_long_phase_reports_every_10_s_and_when_done) {
  captured_progress cap;
  {
    bench::progress p(false, false, cap.output(0));
    p.phase("timed runs", 30, 30);
    for (int i = 0; i < 30; ++i) {
      cap.t += std::chrono::seconds(1);
      p.step("x", 1);
    }
  }  // the destructor ends the phase
  const std::string text = cap.text();
  EXPECT_EQ(text,
            "parbench: timed runs (30 steps)\n"
            "parbench: timed runs: 10/30 done, 10s elapsed, ETA 20s\n"
            "parbench: timed runs: 20/30 done, 20s elapsed, ETA 10s\n"
            "parbench: timed runs: done in 30 s\n");
}

TEST(progress, quiet_prints_notes_only) {
  captured_progress cap;
  {
    bench::progress p(true, false, cap.output(0));
    p.phase("timed runs", 2, 2);
    cap.t += std::chrono::seconds(20);
    p.step("x", 1);
    p.note("skipping backend cuda: no GPU\nsecond line");
  }
  EXPECT_EQ(cap.text(), "parbench: skipping backend cuda: no GPU\\nsecond line\n");
}

TEST(measurement, metadata_describes_repetitions_warm_up_order_and_limits) {
  bench::suite s;
  s.repetitions = 3;
  s.min_time_s = 0;
  s.timeout_s = 12;
  const auto m = bench::measurement_metadata(s);
  EXPECT_EQ(m["repetitions"], 3);
  EXPECT_EQ(m["timeout_s"], 12.0);
  EXPECT_EQ(m["min_time_s"], 0.0);
  EXPECT_THAT(m["warmup"].get<std::string>(), HasSubstr("untimed"));
  EXPECT_THAT(m["order"].get<std::string>(), HasSubstr("random"));
  EXPECT_THAT(m["order"].get<std::string>(), HasSubstr("a repetition is one run"));
  s.min_time_s = 0.5;
  EXPECT_THAT(bench::measurement_metadata(s)["order"].get<std::string>(), HasSubstr("fill 0.5 s"));
}

TEST(measurement, the_timer_resolution_is_measured_and_positive) {
  const double ns = bench::measure_timer_resolution_ns();
  EXPECT_GT(ns, 0.0);
  EXPECT_LT(ns, 1e7) << "steady_clock ticks at least every 10 ms";
  const auto t = bench::timer_metadata(ns);
  EXPECT_EQ(t["clock"], "std::chrono::steady_clock");
  EXPECT_EQ(t["resolution_ns"], ns);
}

}  // namespace
