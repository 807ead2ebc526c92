#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "bench/derived.hpp"
#include "bench/overhead.hpp"
#include "bench/suite.hpp"
#include "core/errors.hpp"

using namespace parbench;
using ::testing::HasSubstr;

namespace {

bench::result_row raw(std::string backend, unsigned workers, std::uint64_t samples, double wall, unsigned rep,
                      std::string status = "ok", std::string scaling = "strong") {
  bench::result_row r;
  r.rng = "philox";
  r.backend = std::move(backend);
  r.kind = r.backend == "serial" ? "reference" : "backend";
  r.scaling = std::move(scaling);
  r.workers = workers;
  r.samples = samples;
  r.row_type = "raw";
  r.repetition = rep;
  r.status = std::move(status);
  if (r.status == "ok") {
    r.wall_s = wall;
    r.cpu_s = wall * workers;
    r.hits = 42;
  } else {
    r.error = "worker 1 crashed";
  }
  return r;
}

const bench::result_row& find(const std::vector<bench::result_row>& rows, const std::string& backend, unsigned w,
                              std::uint64_t n) {
  for (const auto& r : rows)
    if (r.backend == backend && r.workers == w && r.samples == n) return r;
  throw std::runtime_error("row not found");
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
  std::vector<bench::result_row> rows = {
      raw("serial", 1, 1000, 4.0, 0), raw("serial", 1, 1000, 5.0, 1), raw("serial", 1, 1000, 6.0, 2),
      raw("threads", 2, 1000, 2.0, 0), raw("threads", 2, 1000, 2.5, 1), raw("threads", 2, 1000, 0, 2, "failed"),
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
  EXPECT_DOUBLE_EQ(*t.samples_per_s, 400.0);
  EXPECT_DOUBLE_EQ(*t.samples_per_s_per_worker, 200.0);
  EXPECT_FALSE(t.repetition.has_value());
  const auto& f = find(agg, "fork", 2, 1000);
  EXPECT_EQ(f.status, "failed");
  EXPECT_EQ(f.error, "worker 1 crashed");
  EXPECT_FALSE(f.wall_s.has_value());
  EXPECT_EQ(*f.repetitions, 0u);
}

TEST(derived, weak_scaling_compares_with_serial_times_w) {
  // Serial: 1.0 s for 1000 samples. 4 workers on 4000 samples in 1.25 s: S = 4 * 1.0 / 1.25.
  std::vector<bench::result_row> rows = {raw("serial", 1, 1000, 1.0, 0, "ok", "weak"),
                                         raw("threads", 4, 4000, 1.25, 0, "ok", "weak")};
  const auto agg = bench::aggregate(rows);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 4, 4000).speedup, 3.2);
  EXPECT_DOUBLE_EQ(*find(agg, "threads", 4, 4000).efficiency, 0.8);
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
  EXPECT_EQ(be[0].break_even_samples, 1000000u) << "at 1e5 threads needs 110 us, serial 100 us";
  EXPECT_EQ(be[0].sizes_tried, "1000;10000;100000;1000000");
  EXPECT_EQ(be[1].backend, "fork");
  EXPECT_EQ(be[1].break_even_samples, 1000000u);
  EXPECT_EQ(be[2].backend, "openmp");
  EXPECT_FALSE(be[2].break_even_samples.has_value());
}

TEST(derived, break_even_treats_a_failed_size_as_not_winning) {
  std::vector<bench::result_row> rows = {raw("serial", 1, 100, 1.0, 0), raw("serial", 1, 1000, 10.0, 0),
                                         raw("tbb", 2, 100, 0.5, 0), raw("tbb", 2, 1000, 0, 0, "failed")};
  const auto be = bench::break_even(bench::aggregate(rows));
  ASSERT_EQ(be.size(), 1u);
  EXPECT_FALSE(be[0].break_even_samples.has_value());
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

TEST(suite, default_workers_are_powers_of_two_plus_the_cpu_count) {
  EXPECT_EQ(bench::default_workers(1), (std::vector<unsigned>{1}));
  EXPECT_EQ(bench::default_workers(2), (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(bench::default_workers(6), (std::vector<unsigned>{1, 2, 4, 6}));
  EXPECT_EQ(bench::default_workers(16), (std::vector<unsigned>{1, 2, 4, 8, 16}));
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
    ::testing::Values(bad_suite{"", "s.json: the suite file is empty"},
                      bad_suite{"  \n ", "is empty"},
                      bad_suite{"{\n  \"workers\": [1, 2,\n}", "s.json:3:1: malformed JSON"},
                      bad_suite{"[1, 2]", "expected a JSON object"},
                      bad_suite{"{\n\n  \"worker\": [1]\n}", "s.json:3:3: unknown key 'worker'"},
                      bad_suite{"{\"backends\": [\"serial\", \"nosuch\"]}", "unknown backend 'nosuch'"},
                      bad_suite{"{\"backends\": 3}", "'backends' must be"},
                      bad_suite{"{\"workers\": [0]}", "'workers'"},
                      bad_suite{"{\"samples\": [\"1e6+3\"]}", "'samples'"},
                      bad_suite{"{\"repetitions\": 0}", "'repetitions' must be a whole number from 1 to 1000"},
                      bad_suite{"{\"scaling\": \"medium\"}", "\"strong\" or \"weak\""},
                      bad_suite{"{\"rng\": \"mt19937\"}", "'rng'"},
                      bad_suite{"{\"overhead\": \"yes\"}", "true or false"},
                      bad_suite{"{\"timeout\": 0}", "'timeout' must be a number of seconds from 0.001 to 1e7"},
                      bad_suite{"{\"timeout\": 1e8}", "'timeout' must be"},
                      bad_suite{"{\"min_time\": 0.0001}", "'min_time' must be 0 (one run per repetition)"},
                      bad_suite{"{\"min_time\": -1}", "'min_time' must be"}));

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
