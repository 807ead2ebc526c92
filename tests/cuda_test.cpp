// The cuda backend. Everywhere: the GPU's slices, run on the CPU through the same
// host/device code, add up to the CPU kernel's chunk counts, and the unavailable path
// works. On a GPU: exact agreement with serial. Without one, the GPU tests are skipped
// with the probe's reason (ctest and the gtest summary show them as skipped).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "backends/cuda/cuda_info.hpp"
#include "backends/cuda/pi_kernel.hpp"
#include "backends/cuda/pi_slice.hpp"
#include "backends/registry.hpp"
#include "core/errors.hpp"
#include "kernels/montecarlo/sampler.hpp"
#include "kernels/registry.hpp"
#include "tests/cli_helpers.hpp"

using namespace parbench;
using kernels::chunk_samples;
using kernels::pi_job;
using kernels::rng_kind;
using ::testing::HasSubstr;

namespace {

// Hits of chunk `chunk` as the GPU computes them: the sum of its slices.
std::uint64_t chunk_hits_by_slices(const pi_job& job, std::uint64_t chunk) {
  const std::uint64_t first = chunk * backends::detail::slices_per_chunk;
  const std::uint64_t last = std::min(first + backends::detail::slices_per_chunk, backends::detail::slice_count(job));
  std::uint64_t hits = 0;
  for (std::uint64_t s = first; s < last; ++s)
    hits += job.rng == rng_kind::philox ? backends::detail::slice_hits<rng_kind::philox>(job, s)
                                        : backends::detail::slice_hits<rng_kind::light>(job, s);
  return hits;
}

TEST(cuda_slices, cover_every_sample_once) {
  using backends::detail::slice_count;
  using backends::detail::slice_samples;
  EXPECT_EQ(slice_count(pi_job{1, 0, rng_kind::philox}), 1u);
  EXPECT_EQ(slice_count(pi_job{slice_samples, 0, rng_kind::philox}), 1u);
  EXPECT_EQ(slice_count(pi_job{slice_samples + 1, 0, rng_kind::philox}), 2u);
  EXPECT_EQ(slice_count(pi_job{chunk_samples * 3, 0, rng_kind::philox}), 3 * backends::detail::slices_per_chunk);
}

// The stream is one piece of code: slices of the shared host/device header reproduce the
// CPU's scalar reference chunk by chunk, for both generators, partial last chunks and odd n.
TEST(cuda_slices, equal_the_cpu_scalar_chunk_counts) {
  const std::uint64_t sizes[] = {
      1, 2, 63, 64, 65, chunk_samples - 1, chunk_samples, chunk_samples + 1, 3 * chunk_samples + 17};
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xDEADBEEF12345678}}) {
      for (std::uint64_t n : sizes) {
        const pi_job job{n, seed, rng};
        std::uint64_t total = 0;
        for (std::uint64_t c = 0; c < job.chunk_count(); ++c) {
          const std::uint64_t slices = chunk_hits_by_slices(job, c);
          EXPECT_EQ(slices, kernels::count_chunk_hits_scalar(job, c))
              << kernels::to_string(rng) << " seed=" << seed << " n=" << n << " chunk=" << c;
          total += slices;
        }
        EXPECT_EQ(total, kernels::count_hits(job, 0, job.chunk_count())) << kernels::to_string(rng) << " n=" << n;
      }
    }
  }
}

// Chunk indices above 2^32 use the counter's third word; the last chunk of a huge odd n is partial.
TEST(cuda_slices, equal_the_cpu_far_into_the_stream) {
  const std::uint64_t n = (std::uint64_t{1} << 50) + 12345;  // odd; last chunk holds 12345 samples
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    const pi_job job{n, 7, rng};
    for (std::uint64_t c : {(std::uint64_t{1} << 32) + 5, job.chunk_count() - 1}) {
      EXPECT_EQ(chunk_hits_by_slices(job, c), kernels::count_chunk_hits_scalar(job, c))
          << kernels::to_string(rng) << " chunk=" << c;
    }
  }
}

// The kernel's work division, run on the CPU: a grid-stride loop over the slices of a chunk
// range counts every slice once, whatever the number of threads.
TEST(cuda_slices, grid_stride_threads_cover_each_slice_once) {
  using backends::detail::grid_stride_hits;
  using backends::detail::slices_of_chunks;
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    const pi_job job{5 * chunk_samples + 33, 3, rng};
    for (chunk_range chunks : {chunk_range{0, 6}, chunk_range{1, 4}, chunk_range{5, 6}, chunk_range{3, 3}}) {
      const auto [first, last] = slices_of_chunks(job, chunks.first, chunks.last);
      for (std::uint64_t threads : {1u, 7u, 256u, 5000u}) {
        std::uint64_t hits = 0;
        for (std::uint64_t t = 0; t < threads; ++t)
          hits += rng == rng_kind::philox ? grid_stride_hits<rng_kind::philox>(job, first, last, t, threads)
                                          : grid_stride_hits<rng_kind::light>(job, first, last, t, threads);
        EXPECT_EQ(hits, kernels::count_hits(job, chunks.first, chunks.last))
            << kernels::to_string(rng) << " chunks [" << chunks.first << ", " << chunks.last << ") threads=" << threads;
      }
    }
  }
  EXPECT_EQ(slices_of_chunks(pi_job{100, 1, rng_kind::philox}, 2, 9).first,
            slices_of_chunks(pi_job{100, 1, rng_kind::philox}, 2, 9).last)
      << "chunks past the end are empty";
}

// No thread of a launch can take enough slices to wrap its 32-bit counter.
TEST(cuda_slices, launch_size_keeps_thread_counts_below_2_32) {
  using backends::detail::max_slices_per_launch;
  using backends::detail::slice_samples;
  for (std::uint64_t threads : {1u, 256u, 135168u, 1u << 20}) {
    const std::uint64_t per = max_slices_per_launch(threads, ~std::uint64_t{0});
    const std::uint64_t per_thread = (per + threads - 1) / threads;
    EXPECT_LT(per_thread * slice_samples, std::uint64_t{1} << 32) << "threads=" << threads;
    EXPECT_GT(per_thread * slice_samples, (std::uint64_t{1} << 32) - 2 * slice_samples) << "not needlessly small";
    EXPECT_EQ(max_slices_per_launch(threads, 1000), std::min<std::uint64_t>(1000, per));
  }
  EXPECT_EQ(max_slices_per_launch(256, 0), 1u);
}

backends::gpu_device_info gpu() {
  static const backends::gpu_device_info info = backends::cuda_device_info();
  return info;
}

// The registry's pi job for `job`, as the harness would hand it to the backend.
run_request pi_request(const pi_job& job) {
  run_request r;
  r.job = make_job("pi", job.samples, job.seed, {{"rng", std::string(kernels::to_string(job.rng))}});
  r.workers = 1;
  return r;
}

std::uint64_t gpu_hits(backend& b, const pi_job& job) {
  const run_result r = b.run(pi_request(job));
  EXPECT_EQ(r.result.size(), 1u);
  return r.result.at(0);
}

#define PARBENCH_REQUIRE_GPU() \
  if (!gpu().usable) GTEST_SKIP() << "no usable GPU here (" << gpu().reason << ")"

TEST(cuda_gpu, agrees_exactly_with_serial) {
  PARBENCH_REQUIRE_GPU();
  auto b = find_backend("cuda").make();
  const std::uint64_t sizes[] = {1, chunk_samples - 1, chunk_samples + 1, 10000003};
  for (rng_kind rng : {rng_kind::philox, rng_kind::light}) {
    for (std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{20261126}, ~std::uint64_t{0}}) {
      for (std::uint64_t n : sizes) {
        const pi_job job{n, seed, rng};
        const run_result r = b->run(pi_request(job));
        EXPECT_EQ(r.result, result_words{kernels::count_hits(job, 0, job.chunk_count())})
            << kernels::to_string(rng) << " seed=" << seed << " n=" << n;
        EXPECT_EQ(r.workers_started, 1u);
        EXPECT_EQ(r.workers_used, 1u);
      }
    }
  }
  const pi_job known{10000003, 42, rng_kind::philox};  // kernels_test's known answer
  EXPECT_EQ(gpu_hits(*b, known), 7853435u);
  const pi_job big{1000000000, 3, rng_kind::philox};
  EXPECT_EQ(gpu_hits(*b, big), kernels::count_hits(big, 0, big.chunk_count())) << "n=1e9";
}

// Many short launches add into the same per-block partial sums.
TEST(cuda_gpu, several_launches_add_up_exactly) {
  PARBENCH_REQUIRE_GPU();
  const pi_job job{5 * chunk_samples + 99, 11, rng_kind::philox};
  std::uint64_t one = 0, many = 0;
  ASSERT_EQ(backends::detail::gpu_count_hits(job, 0, job.chunk_count(), one), cudaSuccess);
  ASSERT_EQ(backends::detail::gpu_count_hits(job, 0, job.chunk_count(), many, 1000), cudaSuccess);
  EXPECT_EQ(one, many);
  EXPECT_EQ(one, kernels::count_hits(job, 0, job.chunk_count()));
}

// A nesting backend (mpi) hands the GPU one share of the chunks.
TEST(cuda_gpu, runs_a_sub_range_of_chunks) {
  PARBENCH_REQUIRE_GPU();
  auto b = find_backend("cuda").make();
  const pi_job job{7 * chunk_samples + 3, 9, rng_kind::light};
  for (chunk_range range : {chunk_range{0, 3}, chunk_range{2, 8}, chunk_range{7, 8}, chunk_range{4, 4}}) {
    run_request request = pi_request(job);
    request.chunks = range;
    EXPECT_EQ(b->run(request).result, result_words{kernels::count_hits(job, range.first, range.last)})
        << "[" << range.first << ", " << range.last << ")";
  }
}

TEST(cuda_gpu, start_up_and_metadata) {
  PARBENCH_REQUIRE_GPU();
  EXPECT_FALSE(gpu().name.empty());
  EXPECT_GT(gpu().sm_count, 0);
  EXPECT_GT(gpu().sm_clock_khz, 0);
  EXPECT_GT(gpu().blocks, 0u);
  auto b = find_backend("cuda").make();
  EXPECT_NO_THROW(b->start_empty(1));
  EXPECT_NO_THROW(backends::cuda_create_context());
  const pi_job job{chunk_samples + 1, 5, rng_kind::philox};
  EXPECT_EQ(gpu_hits(*b, job), kernels::count_hits(job, 0, job.chunk_count())) << "after a new context";
}

TEST(cuda_info, metadata_names_the_device_and_versions) {
  const auto fields = backends::cuda_metadata(gpu());
  ASSERT_EQ(fields.size(), 11u);
  EXPECT_EQ(fields[0].first, "gpu_name");
  EXPECT_EQ(fields[9].second, gpu().usable ? "true" : "false");
  EXPECT_EQ(fields[10].second, gpu().reason);
  EXPECT_GT(gpu().runtime_version, 0) << "the runtime is linked statically: its version is always known";
  EXPECT_EQ(backends::cuda_version_string(13000), "13.0");
  EXPECT_EQ(backends::cuda_version_string(12040), "12.4");
}

// The backend's probe is the device query; unusable always comes with a reason.
TEST(cuda_backend, probe_matches_the_device_query) {
  auto b = find_backend("cuda").make();
  const availability a = b->probe();
  EXPECT_EQ(a.usable, gpu().usable);
  EXPECT_EQ(a.reason, gpu().reason);
  if (!a.usable) {
    EXPECT_FALSE(a.reason.empty());
    EXPECT_THROW(b->run(pi_request(pi_job{1000, 1, rng_kind::philox})), usage_error);
    EXPECT_THROW(b->start_empty(1), usage_error);
  }
}

// Device code exists for pi alone: the backend says so, and refuses every other kernel as a
// usage error naming the kernel and the ones it has (on any machine: before the device is used).
TEST(cuda_backend, declares_pi_only_and_refuses_other_kernels) {
  auto b = find_backend("cuda").make();
  const backend_abilities a = b->abilities();
  EXPECT_EQ(a.kernels, std::vector<std::string>{"pi"});
  EXPECT_TRUE(supports_kernel(a, "pi"));
  EXPECT_FALSE(a.exact_workers) << "one worker per device, whatever W";
  EXPECT_TRUE(a.honours_subranges);
  int refused = 0;
  for (const auto& k : registered_kernels()) {
    if (k->name() == "pi") continue;
    EXPECT_FALSE(supports_kernel(a, k->name()));
    run_request request;
    request.job = make_job(k->name(), 65536, 1);
    try {
      (void)b->run(request);
      ADD_FAILURE() << "ran kernel " << k->name();
    } catch (const usage_error& e) {
      EXPECT_EQ(std::string(e.what()), "cuda: kernel " + std::string(k->name()) +
                                           " is not supported by this backend (device code exists for: pi)");
    }
    ++refused;
  }
  EXPECT_GT(refused, 0) << "the build has a kernel besides pi";
}

TEST(cuda_backend, rejects_an_unknown_schedule) {
  auto b = find_backend("cuda").make();
  run_request request = pi_request(pi_job{1000, 1, rng_kind::philox});
  request.schedule = {"dynamic", 0};
  EXPECT_THROW((void)b->run(request), usage_error);
}

TEST(cuda_cli, another_kernel_is_not_supported_and_skipped_under_a_list) {
  const auto alone = test::run_parbench("pi --backend cuda --kernel imbalanced --samples 1000");
  EXPECT_EQ(alone.exit_code, 2) << alone.output;
  EXPECT_THAT(alone.output, HasSubstr("not supported by this backend"));
  const auto listed = test::run_parbench("pi --backend serial,cuda --kernel imbalanced --samples 1000");
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, ::testing::ContainsRegex("cuda +skipped: kernel imbalanced is not supported"));
}

// On this machine as it is: without a GPU, `pi --backend cuda` fails with the probe's reason
// (exit 2); with one, it runs and prints the serial count.
TEST(cuda_cli, pi_uses_the_gpu_or_says_why_not) {
  const auto r = test::run_parbench("pi --backend cuda --samples 1000003 --seed 5");
  if (!gpu().usable) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("backend 'cuda' is unavailable: " + gpu().reason));
  } else {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const pi_job job{1000003, 5, rng_kind::philox};
    EXPECT_THAT(r.output, HasSubstr(std::to_string(kernels::count_hits(job, 0, job.chunk_count()))));
  }
}

// The unavailable path on every machine: CUDA_VISIBLE_DEVICES="" hides any GPU from the child.
class cuda_cli_hidden_gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("CUDA_VISIBLE_DEVICES")) saved_ = v;
    ::setenv("CUDA_VISIBLE_DEVICES", "", 1);
  }
  void TearDown() override {
    if (saved_)
      ::setenv("CUDA_VISIBLE_DEVICES", saved_->c_str(), 1);
    else
      ::unsetenv("CUDA_VISIBLE_DEVICES");
  }
  std::optional<std::string> saved_;
};

TEST_F(cuda_cli_hidden_gpu, list_shows_cuda_unavailable_with_a_reason) {
  const auto r = test::run_parbench("list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cuda"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("cuda .*\\[unavailable: no CUDA device"));
}

TEST_F(cuda_cli_hidden_gpu, pi_backend_cuda_exits_2_with_the_reason) {
  const auto r = test::run_parbench("pi --backend cuda --samples 1000");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("backend 'cuda' is unavailable: no CUDA device"));
}

TEST_F(cuda_cli_hidden_gpu, pi_backend_all_skips_cuda_with_a_note) {
  const auto r = test::run_parbench("pi --backend serial,cuda --samples 100003");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex("cuda +skipped: no CUDA device"));
}

}  // namespace
