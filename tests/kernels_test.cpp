#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "core/errors.hpp"
#include "tests/cli_helpers.hpp"
#include "kernels/montecarlo/isa.hpp"
#include "kernels/montecarlo/philox.hpp"
#include "kernels/montecarlo/sampler.hpp"

using namespace parbench::kernels;

namespace {

// Random123's published known-answer vectors (kat_vectors, philox4x32 10 rounds).
TEST(philox, matches_random123_known_answers) {
  struct kat { philox_block ctr; std::uint32_t k0, k1; philox_block expect; };
  const kat cases[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
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
  for (std::uint64_t n : {std::uint64_t{1}, chunk_samples - 1, chunk_samples, chunk_samples + 1, std::uint64_t{10000003}}) {
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
    for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{17},
                            chunk_samples - 1, chunk_samples, chunk_samples + 1, 3 * chunk_samples + 5}) {
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

TEST(check_estimate, flags_a_wrong_count) {
  EXPECT_TRUE(check_estimate(785398, 1000000).ok);
  EXPECT_FALSE(check_estimate(800000, 1000000).ok);
  EXPECT_FALSE(check_estimate(0, 1000000).ok);
}

}  // namespace
