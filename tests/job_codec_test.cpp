// The one codec for jobs and results that cross a process boundary (core/job_codec.hpp).

#include "core/job_codec.hpp"

#include <gtest/gtest.h>

#include <random>

#include "kernels/registry.hpp"

namespace {

using namespace parbench;

TEST(job_codec, round_trips_every_registered_kernels_job) {
  for (const auto& k : registered_kernels()) {
    // The default parameters, then every choice of every choice parameter.
    std::vector<param_values> variants = {{}};
    for (const auto& p : k->params())
      for (const auto& c : p.choices) variants.push_back({{p.name, c}});
    for (const auto& given : variants) {
      const job_spec spec = complete_spec(*k, 1234567, ~std::uint64_t{0} - 5, given);
      const chunk_range range{3, 17};
      const codec::decoded_job back = codec::decode_job(codec::encode_job(spec, range));
      EXPECT_EQ(back.spec, spec) << describe(spec);
      EXPECT_EQ(back.range.first, range.first);
      EXPECT_EQ(back.range.last, range.last);
      // What the worker rebuilds is the same job: same chunks, same result.
      const auto job = make_job(back.spec);
      EXPECT_EQ(job->spec(), spec);
      EXPECT_EQ(job->chunk_count(), make_job(spec)->chunk_count());
    }
  }
}

TEST(job_codec, survives_hex_as_one_argument) {
  const job_spec spec = complete_spec(find_kernel("pi"), 99, 7, {{"rng", "light"}});
  const std::string message = codec::encode_job(spec, {0, 2});
  const std::string hex = codec::to_hex(message);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(codec::from_hex(hex), message);
  EXPECT_EQ(codec::decode_job(codec::from_hex(hex)).spec, spec);
  EXPECT_THROW((void)codec::from_hex("abc"), codec::codec_error);
  EXPECT_THROW((void)codec::from_hex("zz"), codec::codec_error);
}

TEST(job_codec, result_words_round_trip) {
  codec::writer w;
  const result_words words = {0, 1, ~std::uint64_t{0}, 785398};
  w.u32(3);
  w.words(words);
  const std::string message = w.finish(codec::result_magic);
  codec::reader r(message, codec::result_magic);
  EXPECT_EQ(r.u32(), 3u);
  EXPECT_EQ(r.words(), words);
  EXPECT_NO_THROW(r.finish());
}

TEST(job_codec, rejects_every_malformed_message) {
  const std::string good = codec::encode_job(complete_spec(find_kernel("pi"), 10, 1, {}), {0, 1});
  // Every truncation, and one byte too many.
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW((void)codec::decode_job(good.substr(0, n)), codec::codec_error) << n;
  EXPECT_THROW((void)codec::decode_job(good + "x"), codec::codec_error);
  // Wrong magic, wrong version.
  std::string bad = good;
  bad[0] ^= 1;
  EXPECT_THROW((void)codec::decode_job(bad), codec::codec_error);
  bad = good;
  bad[4] = 9;
  EXPECT_THROW((void)codec::decode_job(bad), codec::codec_error);
  // A result message is not a job.
  codec::writer w;
  w.words({1});
  EXPECT_THROW((void)codec::decode_job(w.finish(codec::result_magic)), codec::codec_error);
  // A range that ends before it starts.
  EXPECT_THROW((void)codec::decode_job(codec::encode_job(complete_spec(find_kernel("pi"), 10, 1, {}), {5, 2})),
               codec::codec_error);
}

TEST(job_codec, random_bytes_never_crash_the_decoder) {
  std::mt19937_64 gen(13);
  const std::string good = codec::encode_job(complete_spec(find_kernel("pi"), 10, 1, {}), {0, 1});
  for (int t = 0; t < 2000; ++t) {
    std::string m = good;
    m[gen() % m.size()] = static_cast<char>(gen());
    try {
      (void)codec::decode_job(m);
    } catch (const codec::codec_error&) {
    }
  }
  SUCCEED();
}

}  // namespace
