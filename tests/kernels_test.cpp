#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "core/errors.hpp"
#include "kernels/imbalanced/profile.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/philox.hpp"
#include "kernels/montecarlo/sampler.hpp"
#include "kernels/registry.hpp"
#include "tests/cli_helpers.hpp"

using namespace parbench::kernels;

namespace {

// Random123's published known-answer vectors (kat_vectors, philox4x32 10 rounds).
TEST(philox, matches_random123_known_answers) {
  struct kat {
    philox_block ctr;
    std::uint32_t k0, k1;
    philox_block expect;
  };
  const kat cases[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
       0xffffffff,
       0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
       0xa4093822,
       0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const auto& c : cases) {
    const philox_block out = philox4x32_10(c.ctr, c.k0, c.k1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.v[i], c.expect.v[i]) << "word " << i;
  }
}

TEST(philox, matches_random123_implementation_on_random_inputs) {
  std::mt19937_64 gen(42);
  r123::Philox4x32 reference;
  for (int t = 0; t < 1000; ++t) {
    philox_block ctr;
    r123::Philox4x32::ctr_type rc;
    for (int i = 0; i < 4; ++i) rc.v[i] = ctr.v[i] = static_cast<std::uint32_t>(gen());
    const auto k0 = static_cast<std::uint32_t>(gen()), k1 = static_cast<std::uint32_t>(gen());
    const auto expect = reference(rc, r123::Philox4x32::key_type{{k0, k1}});
    const auto got = philox4x32_10(ctr, k0, k1);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(got.v[i], expect.v[i]);
  }
}

TEST(inside, is_exact_at_the_boundary) {
  // Largest Y with X = 0: every Y < 2^32 is inside.
  EXPECT_EQ(inside(0, 0xffffffffu), 1u);
  EXPECT_EQ(inside(0xffffffffu, 0), 1u);
  // X = Y = 2^31 * sqrt(2) rounded: 3037000499^2 * 2 < 2^64, 3037000500^2 * 2 > 2^64.
  EXPECT_EQ(inside(3037000499u, 3037000499u), 1u);
  EXPECT_EQ(inside(3037000500u, 3037000500u), 0u);
  EXPECT_EQ(inside(0xffffffffu, 0xffffffffu), 0u);
  // Compare against long double on random inputs away from the boundary.
  std::mt19937_64 gen(7);
  for (int t = 0; t < 100000; ++t) {
    const auto x = static_cast<std::uint32_t>(gen()), y = static_cast<std::uint32_t>(gen());
    __extension__ using u128 = unsigned __int128;
    const u128 s = static_cast<u128>(x) * x + static_cast<u128>(y) * y;
    ASSERT_EQ(inside(x, y), s < (static_cast<u128>(1) << 64) ? 1u : 0u);
  }
}

TEST(pi_job, chunks_cover_every_sample_once) {
  for (std::uint64_t n :
       {std::uint64_t{1}, chunk_samples - 1, chunk_samples, chunk_samples + 1, std::uint64_t{10000003}}) {
    pi_job job{n, 1, rng_kind::philox};
    std::uint64_t total = 0;
    for (std::uint64_t c = 0; c < job.chunk_count(); ++c) total += job.chunk_length(c);
    EXPECT_EQ(total, n);
  }
}

// Restores the active instruction-set path when a test that forces paths ends.
class isa_guard {
 public:
  isa_guard() : saved_(active_isa()) {}
  ~isa_guard() { force_isa(saved_); }
  isa_guard(const isa_guard&) = delete;
  isa_guard& operator=(const isa_guard&) = delete;

 private:
  isa saved_;
};

std::uint64_t scalar_reference(const pi_job& job, std::uint64_t first, std::uint64_t last) {
  std::uint64_t hits = 0;
  for (std::uint64_t c = first; c < last; ++c) hits += count_chunk_hits_scalar(job, c);
  return hits;
}

// Pins the stream: any change to the generator, the layout or the inside test fails here,
// on every instruction-set path this CPU has.
// If the stream changes on purpose, bump kernel_version and record it in CHANGELOG.md.
TEST(pi_kernel, known_answer) {
  EXPECT_EQ(kernel_version, 1);
  const isa_guard guard;
  for (isa path : supported_isas()) {
    force_isa(path);
    const pi_job philox{10000003, 42, rng_kind::philox};
    EXPECT_EQ(count_hits(philox, 0, philox.chunk_count()), 7853435u) << to_string(path);
    const pi_job light{10000003, 42, rng_kind::light};
    EXPECT_EQ(count_hits(light, 0, light.chunk_count()), 7851871u) << to_string(path);
  }
}

TEST(pi_kernel, known_answer_of_the_scalar_reference) {
  const pi_job philox{10000003, 42, rng_kind::philox};
  EXPECT_EQ(scalar_reference(philox, 0, philox.chunk_count()), 7853435u);
  const pi_job light{10000003, 42, rng_kind::light};
  EXPECT_EQ(scalar_reference(light, 0, light.chunk_count()), 7851871u);
}

TEST(isa, the_scalar_path_is_always_there_and_names_round_trip) {
  const auto paths = supported_isas();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), isa::scalar);
  for (isa path : {isa::scalar, isa::avx2, isa::avx512}) EXPECT_EQ(parse_isa(to_string(path)), path);
  EXPECT_THROW(parse_isa("sse9"), parbench::usage_error);
  EXPECT_THROW(parse_isa(""), parbench::usage_error);
}

TEST(isa, the_widest_path_is_the_default_unless_forced) {
  // The test runs without PARBENCH_ISA (ctest does not set it), so the default is the widest.
  if (std::getenv("PARBENCH_ISA") != nullptr) GTEST_SKIP() << "PARBENCH_ISA is set in this environment";
  EXPECT_EQ(active_isa(), supported_isas().back());
}

TEST(isa, forcing_a_path_the_cpu_lacks_is_a_usage_error) {
  const auto paths = supported_isas();
  for (isa path : {isa::avx2, isa::avx512}) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
      const isa_guard guard;
      EXPECT_THROW(force_isa(path), parbench::usage_error);
    }
  }
}

// Random sample counts, seeds and chunk ranges (including chunk indices >= 2^32, which
// use the high counter word) on every path, against the scalar reference, for both rngs.
TEST(pi_kernel, every_isa_path_matches_the_scalar_reference_on_random_jobs) {
  const isa_guard guard;
  std::mt19937_64 gen(2024);
  for (int t = 0; t < 24; ++t) {
    const rng_kind rng = t % 2 == 0 ? rng_kind::philox : rng_kind::light;
    const std::uint64_t seed = gen();
    // Lengths that hit every tail: the last chunk ends anywhere in [1, chunk_samples].
    const std::uint64_t n = 1 + gen() % (3 * chunk_samples);
    const pi_job job{n, seed, rng};
    const std::uint64_t reference = scalar_reference(job, 0, job.chunk_count());
    // A window of full chunks far out in the stream.
    const pi_job far{std::uint64_t{1} << 62, seed, rng};
    const std::uint64_t first = (std::uint64_t{1} << 32) + gen() % (std::uint64_t{1} << 40);
    const std::uint64_t far_reference = scalar_reference(far, first, first + 2);
    for (isa path : supported_isas()) {
      force_isa(path);
      EXPECT_EQ(count_hits(job, 0, job.chunk_count()), reference)
          << "path " << to_string(path) << " rng " << to_string(rng) << " n " << n << " seed " << seed;
      EXPECT_EQ(count_hits(far, first, first + 2), far_reference)
          << "path " << to_string(path) << " rng " << to_string(rng) << " chunk " << first << " seed " << seed;
    }
  }
}

// Every chunk length from 1 to 200 and around the vector widths of every path.
TEST(pi_kernel, every_isa_path_handles_every_short_chunk_length) {
  const isa_guard guard;
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    for (std::uint64_t n = 1; n <= 200; ++n) {
      const pi_job job{n, 7, rng};
      const std::uint64_t reference = scalar_reference(job, 0, 1);
      for (isa path : supported_isas()) {
        force_isa(path);
        ASSERT_EQ(count_hits(job, 0, 1), reference) << to_string(path) << " " << to_string(rng) << " n " << n;
      }
    }
  }
}

TEST(pi_kernel, every_isa_path_matches_the_scalar_reference) {
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{17}, chunk_samples - 1,
                            chunk_samples, chunk_samples + 1, 3 * chunk_samples + 5}) {
      for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}}) {
        const pi_job job{n, seed, rng};
        const std::uint64_t reference = scalar_reference(job, 0, job.chunk_count());
        const isa_guard guard;
        for (isa path : supported_isas()) {
          force_isa(path);
          EXPECT_EQ(count_hits(job, 0, job.chunk_count()), reference)
              << "path " << to_string(path) << " rng " << to_string(rng) << " n " << n << " seed " << seed;
        }
      }
    }
  }
}

TEST(pi_kernel, estimates_cover_pi_at_the_nominal_rate) {
  // 200 seeds at n = 2^16: the 3-sigma interval should miss at most a few times
  // (expected 0.27% misses; binomial tail beyond 4 misses is < 0.2%).
  int misses = 0;
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      const pi_job job{chunk_samples, seed, rng};
      const pi_check c = check_estimate(count_hits(job, 0, 1), job.samples);
      EXPECT_TRUE(c.ok);
      if (std::abs(c.error) > 3 * c.sigma) ++misses;
    }
  }
  EXPECT_LE(misses, 5);
}

// Sets PARBENCH_ISA for the children started while it lives.
class isa_env {
 public:
  explicit isa_env(const std::string& value) { ::setenv("PARBENCH_ISA", value.c_str(), 1); }
  ~isa_env() { ::unsetenv("PARBENCH_ISA"); }
  isa_env(const isa_env&) = delete;
  isa_env& operator=(const isa_env&) = delete;
};

// The path can be forced from the command line and the environment; bad values are usage errors.
TEST(isa_cli, forced_paths_give_the_same_hits_and_bad_ones_exit_2) {
  using parbench::test::run_parbench;
  std::string first_output;
  for (isa path : supported_isas()) {
    const auto r = run_parbench("pi -b serial -n 100003 --seed 5 --isa " + std::string(to_string(path)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // The hits column is the same on every path.
    const std::string hits = r.output.substr(r.output.find('\n') + 1);
    if (first_output.empty()) first_output = hits;
    EXPECT_EQ(hits.substr(0, 50), first_output.substr(0, 50)) << to_string(path);
    const isa_env forced(std::string(to_string(path)));
    const auto env = run_parbench("list");
    EXPECT_NE(env.output.find("kernel path: " + std::string(to_string(path))), std::string::npos) << env.output;
  }
  const auto bad = run_parbench("pi -b serial -n 1000 --isa sse9");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("choose scalar, avx2 or avx512"), std::string::npos) << bad.output;
  const isa_env bad_value("sse9");
  const auto bad_env = run_parbench("pi -b serial -n 1000");
  EXPECT_EQ(bad_env.exit_code, 2) << bad_env.output;
  EXPECT_NE(bad_env.output.find("PARBENCH_ISA=sse9"), std::string::npos) << bad_env.output;
}

// The pi plug-in returns exactly the hit counts of the binary before kernels were plug-ins
// (pinned from `parbench pi -b serial` of that build), on every instruction-set path.
TEST(pi_plugin, known_answers_pinned_from_the_binary_before_the_redesign) {
  struct pinned {
    std::uint64_t n, seed;
    const char* rng;
    std::uint64_t hits;
  };
  const pinned cases[] = {
      {1, 0, "philox", 0},
      {1, 7, "philox", 1},
      {2, 3, "philox", 1},
      {65537, 1, "philox", 51592},
      {1000003, 42, "philox", 785724},
      {10000000, ~std::uint64_t{0}, "philox", 7855792},
      {123456789, 2026, "philox", 96957674},
      {1, 7, "light", 1},
      {2, 3, "light", 2},
      {65537, 1, "light", 51365},
      {1000003, 42, "light", 785411},
      {10000000, ~std::uint64_t{0}, "light", 7854067},
      {123456789, 2026, "light", 96965142},
  };
  const isa_guard guard;
  const parbench::kernel& pi = parbench::find_kernel("pi");
  EXPECT_EQ(pi.version(), 1);
  for (isa path : supported_isas()) {
    force_isa(path);
    for (const auto& c : cases) {
      const auto job = parbench::make_job("pi", c.n, c.seed, {{"rng", c.rng}});
      const auto result = parbench::compute(*job, {0, job->chunk_count()});
      ASSERT_EQ(result.size(), 1u);
      EXPECT_EQ(result[0], c.hits) << to_string(path) << " n " << c.n << " seed " << c.seed << " " << c.rng;
      EXPECT_TRUE(job->check(result).ok) << job->check(result).summary;
    }
  }
}

TEST(pi_plugin, declares_its_unit_parameters_and_work) {
  const parbench::kernel& pi = parbench::find_kernel("pi");
  EXPECT_EQ(pi.unit(), "samples");
  const auto params = pi.params();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].name, "rng");
  EXPECT_EQ(params[0].default_value, "philox");
  const auto job = parbench::make_job("pi", 3 * chunk_samples + 5, 1);
  EXPECT_EQ(job->spec().params, (parbench::param_values{{"rng", "philox"}}));
  EXPECT_EQ(job->chunk_count(), 4u);
  EXPECT_EQ(job->work().items, 3 * chunk_samples + 5);
  EXPECT_EQ(job->chunk_items(3), 5u);
  EXPECT_THROW((void)parbench::make_job("pi", 0, 1), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("pi", 10, 1, {{"rng", "mt"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("pi", 10, 1, {{"profile", "ramp"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("nope", 10, 1), parbench::usage_error);
}

TEST(stream_hits, every_isa_path_matches_the_scalar_reference_at_every_length_kind) {
  const isa_guard guard;
  std::mt19937_64 gen(99);
  for (int t = 0; t < 40; ++t) {
    const rng_kind rng = t % 2 == 0 ? rng_kind::philox : rng_kind::light;
    const std::uint64_t seed = gen(), chunk = gen() % (std::uint64_t{1} << 40);
    // Lengths up to 16 base chunks (the imbalanced kernel's heavy chunks), and short ones.
    const std::uint64_t length = t < 20 ? 1 + gen() % (16 * chunk_samples) : 1 + gen() % 300;
    const std::uint64_t reference = stream_hits_scalar(rng, seed, chunk, length);
    for (isa path : supported_isas()) {
      force_isa(path);
      ASSERT_EQ(stream_hits(rng, seed, chunk, length), reference) << to_string(path) << " length " << length;
    }
  }
}

TEST(imbalanced_profiles, weights_follow_their_definition) {
  using namespace parbench::kernels::imbalanced;
  // ramp: 1 at the first chunk, the maximum at the last, never decreasing.
  EXPECT_EQ(chunk_weight(profile::ramp, 16, 1, 0, 100), 1u);
  EXPECT_EQ(chunk_weight(profile::ramp, 16, 1, 99, 100), 16u);
  EXPECT_EQ(chunk_weight(profile::ramp, 16, 1, 49, 100), 8u);
  EXPECT_EQ(chunk_weight(profile::ramp, 16, 1, 50, 100), 9u);
  EXPECT_EQ(chunk_weight(profile::ramp, 16, 1, 0, 1), 1u);
  for (std::uint64_t c = 1; c < 100; ++c)
    EXPECT_LE(chunk_weight(profile::ramp, 16, 1, c - 1, 100), chunk_weight(profile::ramp, 16, 1, c, 100));
  // heavy: about one chunk in 16 has the maximum, the rest weigh 1.
  int heavy = 0;
  for (std::uint64_t c = 0; c < 16000; ++c) {
    const auto w = chunk_weight(profile::heavy, 16, 5, c, 16000);
    ASSERT_TRUE(w == 1 || w == 16);
    heavy += w == 16 ? 1 : 0;
  }
  EXPECT_NEAR(heavy, 1000, 150);
  // random: heavy-tailed, P(w >= k) ~ 1/k, within 1..max.
  int at_least_4 = 0, at_max = 0;
  for (std::uint64_t c = 0; c < 20000; ++c) {
    const auto w = chunk_weight(profile::random, 64, 9, c, 20000);
    ASSERT_GE(w, 1u);
    ASSERT_LE(w, 64u);
    at_least_4 += w >= 4 ? 1 : 0;
    at_max += w == 64 ? 1 : 0;
  }
  EXPECT_NEAR(at_least_4, 5000, 500);
  EXPECT_NEAR(at_max, 20000.0 / 64, 80);
  // Seeded: another seed moves the heavy chunks.
  int differ = 0;
  for (std::uint64_t c = 0; c < 256; ++c)
    differ += chunk_weight(profile::heavy, 16, 5, c, 256) != chunk_weight(profile::heavy, 16, 6, c, 256) ? 1 : 0;
  EXPECT_GT(differ, 0);
}

TEST(imbalanced_kernel, counts_the_draws_it_makes_and_checks_itself) {
  const std::uint64_t n = 40 * chunk_samples + 123;
  for (const char* p : {"ramp", "heavy", "random"}) {
    const auto job = parbench::make_job("imbalanced", n, 3, {{"profile", p}});
    std::uint64_t draws = 0;
    for (std::uint64_t c = 0; c < job->chunk_count(); ++c) draws += job->chunk_items(c);
    EXPECT_EQ(job->work().items, draws) << p;
    const auto result = parbench::compute(*job, {0, job->chunk_count()});
    ASSERT_EQ(result.size(), 2u);
    EXPECT_EQ(result[1], draws) << p;
    // Each chunk's hits are those of its stream's first weight x length points.
    std::uint64_t hits = 0;
    for (std::uint64_t c = 0; c < job->chunk_count(); ++c)
      hits += stream_hits_scalar(rng_kind::philox, 3, c, job->chunk_items(c));
    EXPECT_EQ(result[0], hits) << p;
    EXPECT_TRUE(job->check(result).ok) << job->check(result).summary;
    // A result that lost a chunk fails the self-check.
    const auto partial = parbench::compute(*job, {1, job->chunk_count()});
    EXPECT_FALSE(job->check(partial).ok);
  }
}

// The documented bounds (docs/kernels.md): ramp with maximum M allows W (M+1) / (2M - M/W + 1)
// when M divides W's blocks evenly (M = 16: 1.36 at W = 2, 2.34 at W = 4); a uniform kernel, W.
TEST(imbalanced_kernel, static_split_bound_matches_the_documented_figures) {
  const auto ramp = parbench::make_job("imbalanced", 10000 * chunk_samples, 1);
  const parbench::chunk_range all{0, ramp->chunk_count()};
  EXPECT_NEAR(parbench::static_split_bound(*ramp, all, 1), 1.0, 1e-12);
  const auto ramp_bound = [](double m, double w) { return w * (m + 1) / (2 * m - m / w + 1); };
  EXPECT_NEAR(parbench::static_split_bound(*ramp, all, 2), ramp_bound(16, 2), 0.002);
  EXPECT_NEAR(parbench::static_split_bound(*ramp, all, 4), ramp_bound(16, 4), 0.002);
  EXPECT_NEAR(parbench::static_split_bound(*ramp, all, 16), ramp_bound(16, 16), 0.002);
  const auto uniform = parbench::make_job("pi", 10000 * chunk_samples, 1);
  EXPECT_NEAR(parbench::static_split_bound(*uniform, all, 2), 2.0, 1e-12);
  EXPECT_NEAR(parbench::static_split_bound(*uniform, all, 16), 16.0, 1e-12);
}

TEST(imbalanced_kernel, rejects_bad_parameters) {
  EXPECT_THROW((void)parbench::make_job("imbalanced", 10, 1, {{"profile", "spiky"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("imbalanced", 10, 1, {{"max_weight", "0"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("imbalanced", 10, 1, {{"max_weight", "2000"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("imbalanced", 10, 1, {{"max_weight", "x"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("imbalanced", 10, 1, {{"profile", "ramp"}, {"profile", "heavy"}}),
               parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("imbalanced", std::uint64_t{1} << 62, 1, {{"max_weight", "16"}}),
               parbench::usage_error);
}

TEST(kernel_params, parse_and_format_round_trip) {
  const auto values = parbench::parse_params("profile=heavy,max_weight=8");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], (std::pair<std::string, std::string>{"profile", "heavy"}));
  const auto job = parbench::make_job("imbalanced", 100, 1, values);
  EXPECT_EQ(parbench::format_params(job->spec().params), "profile=heavy;max_weight=8;rng=philox");
  EXPECT_THROW((void)parbench::parse_params("profile"), parbench::usage_error);
  EXPECT_THROW((void)parbench::parse_params("=x"), parbench::usage_error);
  EXPECT_THROW((void)parbench::parse_params("a=1,,b=2"), parbench::usage_error);
  EXPECT_TRUE(parbench::parse_params("").empty());
}

// The stepped kernel: step s+1's streams are keyed by step s's exact total, so the result is
// the last step's and depends on every step before it.
TEST(stepped_kernel, each_step_is_keyed_by_the_previous_steps_total) {
  const auto job = parbench::make_job("stepped", 5 * 40000, 3, {{"steps", "5"}});
  ASSERT_EQ(job->step_count(), 5u);
  EXPECT_EQ(job->first_key(), 3u) << "the seed keys the first step";
  ASSERT_EQ(job->chunk_count(), 10u);  // 40000 points per step in 2^12-point chunks
  const parbench::chunk_range all{0, job->chunk_count()};
  // The loop by hand: every step from the key its predecessor's result gives.
  std::uint64_t key = job->first_key();
  parbench::result_words r;
  std::vector<std::uint64_t> keys;
  for (std::uint32_t s = 0; s < job->step_count(); ++s) {
    if (s > 0) key = job->next_key(key, r);
    keys.push_back(key);
    r = parbench::identity(job->layout());
    job->accumulate_step(key, all, r);
  }
  EXPECT_EQ(parbench::compute(*job, all), r);
  EXPECT_EQ(r[1], 40000u) << "the last step's points";
  EXPECT_TRUE(job->check(r).ok) << job->check(r).summary;
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::unique(keys.begin(), keys.end()), keys.end()) << "every step has its own key";
  // The key follows the hits: one hit more in a step gives another next key.
  parbench::result_words other = r;
  ++other[0];
  EXPECT_NE(job->next_key(key, r), job->next_key(key, other));
  // The first step alone is not the result.
  parbench::result_words first = parbench::identity(job->layout());
  job->accumulate(all, first);
  EXPECT_NE(first, r);
  EXPECT_EQ(job->work().items, 5u * 40000u);
}

TEST(stepped_kernel, its_single_step_twin_does_the_same_work) {
  const parbench::kernel& k = parbench::find_kernel("stepped");
  const auto spec = parbench::complete_spec(k, 1003, 1, {{"steps", "10"}});
  const auto one = k.single_step_equivalent(spec);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(parbench::format_params(one->params), "steps=1;rng=philox");
  EXPECT_EQ(one->size, 1000u);
  EXPECT_EQ(k.make_job(*one)->work().items, k.make_job(spec)->work().items);
  EXPECT_FALSE(parbench::find_kernel("pi").single_step_equivalent(
      parbench::complete_spec(parbench::find_kernel("pi"), 10, 1, {})));
}

TEST(stepped_kernel, rejects_fewer_samples_than_steps) {
  EXPECT_THROW((void)parbench::make_job("stepped", 99, 1, {{"steps", "100"}}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("stepped", 1000, 1, {{"steps", "0"}}), parbench::usage_error);
  EXPECT_NO_THROW((void)parbench::make_job("stepped", 100, 1, {{"steps", "100"}}));
}

// Triad: set-up, passes and verification over one shared mapping; bad sizes and sizes beyond
// the machine's memory are usage errors before anything is allocated.
TEST(triad_kernel, phases_share_the_arrays_and_count_bytes_as_stream_does) {
  const auto job = parbench::make_job("triad", 3 * 65536 + 5, 1, {{"passes", "4"}});
  EXPECT_EQ(job->step_count(), 4u) << "one step per pass";
  EXPECT_GE(job->memory_fd(), 0);
  const parbench::work_counts w = job->work();
  EXPECT_EQ(w.items, 4u * (3 * 65536 + 5));
  EXPECT_EQ(w.bytes, 24u * 4u * (3 * 65536 + 5)) << "3 arrays x 8 bytes per element per pass";
  const auto setup = job->phase_job(parbench::job_phase::setup);
  const auto verify = job->phase_job(parbench::job_phase::verify);
  ASSERT_TRUE(setup && verify);
  EXPECT_EQ(setup->memory_fd(), job->memory_fd()) << "the same memory";
  EXPECT_EQ(setup->step_count(), 1u);
  const parbench::chunk_range all{0, job->chunk_count()};
  (void)parbench::compute(*setup, all);
  EXPECT_FALSE(verify->check(parbench::compute(*verify, all)).ok) << "a is not computed yet";
  const auto r = parbench::compute(*job, all);
  EXPECT_TRUE(job->check(r).ok) << job->check(r).summary;
  EXPECT_TRUE(verify->check(parbench::compute(*verify, all)).ok);
  // A wrong element anywhere is found: the first chunk only is computed again after a reset.
  job->reset_memory();
  (void)parbench::compute(*setup, all);
  (void)parbench::compute(*job, {0, 1});
  const auto partial = parbench::compute(*verify, all);
  EXPECT_GT(partial[0], 0u);
  EXPECT_EQ(partial[1], 3u * 65536 + 5);
}

TEST(triad_kernel, sizes_beyond_memory_are_refused_before_allocation) {
  EXPECT_THROW((void)parbench::make_job("triad", 0, 1, {}), parbench::usage_error);
  EXPECT_THROW((void)parbench::make_job("triad", std::uint64_t{1} << 41, 1, {}), parbench::usage_error);
  try {
    (void)parbench::make_job("triad", std::uint64_t{1} << 40, 1, {});  // 24 TiB
    FAIL() << "expected a usage error";
  } catch (const parbench::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("available"), std::string::npos) << e.what();
  }
  const auto r = parbench::test::run_parbench("pi -k triad -n 1099511627776");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("MemAvailable"), std::string::npos) << r.output;
}

TEST(check_estimate, flags_a_wrong_count) {
  EXPECT_TRUE(check_estimate(785398, 1000000).ok);
  EXPECT_FALSE(check_estimate(800000, 1000000).ok);
  EXPECT_FALSE(check_estimate(0, 1000000).ok);
}

}  // namespace
