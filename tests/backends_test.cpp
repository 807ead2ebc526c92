#include <gtest/gtest.h>

#include "backends/registry.hpp"
#include "core/errors.hpp"

using namespace parbench;

namespace {

std::uint64_t serial_hits(const kernels::pi_job& job) { return kernels::count_hits(job, 0, job.chunk_count()); }

// Every backend, every worker count, returns exactly the serial hit count.
TEST(backends, agree_exactly_with_serial) {
  const std::uint64_t sizes[] = {1, kernels::chunk_samples - 1, kernels::chunk_samples, kernels::chunk_samples + 1,
                                 10000003};
  const unsigned worker_counts[] = {1, 2, 3, 4, 7, 8};
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (!b->probe().usable) {
      GTEST_LOG_(INFO) << entry.name << " unavailable here: " << b->probe().reason;
      continue;
    }
    for (std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{20261126}}) {
      for (std::uint64_t n : sizes) {
        const kernels::pi_job job{n, seed, kernels::rng_kind::philox};
        const std::uint64_t expected = serial_hits(job);
        for (unsigned w : worker_counts) {
          run_request req{job, w, {}, std::chrono::seconds(60)};
          const run_result r = b->run(req);
          EXPECT_EQ(r.hits, expected) << entry.name << " W=" << w << " n=" << n << " seed=" << seed;
          EXPECT_LE(r.workers_used, w) << entry.name;
          EXPECT_GE(r.workers_used, 1u) << entry.name;
        }
      }
    }
  }
}

// `--workers W` means exactly W OS-level workers where the model lets us decide.
TEST(backends, fixed_split_backends_use_exactly_w_workers) {
  const kernels::pi_job job{64 * kernels::chunk_samples, 3, kernels::rng_kind::light};
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (!b->probe().usable || entry.name == "serial" || entry.name == "tbb" || entry.name == "stdpar" ||
        entry.name == "cuda" || entry.name == "mpi")
      continue;
    for (unsigned w : {1u, 2u, 3u, 8u}) {
      const run_result r = b->run({job, w, "static", std::chrono::seconds(60)});
      EXPECT_EQ(r.workers_started, w) << entry.name;
      EXPECT_EQ(r.workers_used, w) << entry.name;
    }
  }
}

TEST(backends, start_empty_returns_for_every_backend) {
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (!b->probe().usable) continue;
    for (unsigned w : {1u, 2u, 5u}) EXPECT_NO_THROW(b->start_empty(w)) << entry.name;
  }
}

// A backend that nests another (mpi) hands its inner model one share: run_request::chunks.
TEST(backends, in_process_models_honour_a_chunk_range) {
  const kernels::pi_job job{10 * kernels::chunk_samples + 5, 9, kernels::rng_kind::philox};  // 11 chunks
  const chunk_range ranges[] = {{0, 0}, {0, 1}, {3, 7}, {9, 11}, {0, 11}};
  for (const auto& entry : registered_backends()) {
    if (entry.name != "serial" && entry.name != "threads" && entry.name != "openmp" && entry.name != "tbb" &&
        entry.name != "mpi")
      continue;
    auto b = entry.make();
    for (const chunk_range& range : ranges) {
      for (unsigned w : {1u, 3u}) {
        run_request req{job, w, {}, std::chrono::seconds(60)};
        req.chunks = range;
        EXPECT_EQ(b->run(req).hits, kernels::count_hits(job, range.first, range.last))
            << entry.name << " W=" << w << " chunks [" << range.first << ", " << range.last << ")";
      }
    }
  }
}

TEST(registry, finds_and_rejects_names) {
  EXPECT_EQ(find_backend("serial").name, "serial");
  EXPECT_THROW(find_backend("nope"), usage_error);
  EXPECT_THROW(parse_backend_list(""), usage_error);
  EXPECT_THROW(parse_backend_list("serial,serial"), usage_error);
  EXPECT_THROW(parse_backend_list("serial,"), usage_error);
  EXPECT_EQ(parse_backend_list("all").size(), registered_backends().size());
  try {
    find_backend("nope");
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("serial"), std::string::npos) << "lists the valid names";
  }
}

}  // namespace
