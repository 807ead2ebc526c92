// How the backends share out chunks, over the registries: every kernel x every backend usable
// here x every schedule it declares (with and without a chunk count) x W, at the edge sizes
// (one item, fewer chunks than workers, a partial last chunk), returns the serial result; the
// sub-ranges, schedule validation and workers_used they declare hold. What a backend can do
// comes from its abilities(), never from its name, so a new kernel or backend is picked up
// with no edit here. (tests/contract_test.cpp holds the interface contract itself.)

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "core/backend.hpp"
#include "core/backend_style.hpp"
#include "core/errors.hpp"
#include "kernels/registry.hpp"
#include "tests/job_helpers.hpp"

using namespace parbench;

namespace {

constexpr std::uint64_t pi_chunk = 65536;  // pi's and imbalanced's base chunk length
constexpr unsigned worker_counts[] = {1, 2, 3, 7};

// A backend built here and usable on this machine (probe), with its declared abilities.
struct usable_backend {
  std::string name;
  std::unique_ptr<backend> instance;
  backend_abilities abilities;
};

std::vector<usable_backend> usable_backends() {
  std::vector<usable_backend> out;
  for (const auto& entry : registered_backends()) {
    auto b = entry.make();
    if (const availability a = b->probe(); !a.usable) {
      GTEST_LOG_(INFO) << entry.name << " unavailable here: " << a.reason;
      continue;
    }
    backend_abilities abilities = b->abilities();
    out.push_back({entry.name, std::move(b), std::move(abilities)});
  }
  return out;
}

// Every schedule a backend declares: by name alone, and with chunk counts of 2 and of more
// chunks than any job here has, where it takes one.
std::vector<schedule> schedules_of(const backend_abilities& abilities) {
  std::vector<schedule> out;
  for (const auto& option : abilities.schedules) {
    out.push_back({option.name, 0});
    if (option.takes_grain) {
      out.push_back({option.name, 2});
      out.push_back({option.name, 64});
    }
  }
  return out;
}

// Small jobs of `k`: one chunk as short as it gets, one full chunk, two chunks with a short
// last one, three chunks, 13 chunks; the seeds alternate.
std::vector<std::shared_ptr<const kernel_job>> edge_jobs(const kernel& k) {
  using test_jobs::last_chunk;
  std::vector<std::shared_ptr<const kernel_job>> out;
  std::uint64_t seed = 1;
  for (const auto& [chunks, last] :
       {std::pair{1, last_chunk::partial}, std::pair{1, last_chunk::full}, std::pair{2, last_chunk::partial},
        std::pair{3, last_chunk::full}, std::pair{13, last_chunk::partial}}) {
    out.push_back(test_jobs::job_with_chunks(k, static_cast<std::uint64_t>(chunks), seed, {}, last));
    seed = seed == 1 ? 20261202 : 1;
  }
  return out;
}

// The most workers that can run a chunk of `job`: each of its steps may give a chunk to another.
std::uint64_t most_used(const kernel_job& job, std::uint64_t chunks, unsigned started) {
  return std::min<std::uint64_t>(started, chunks * job.step_count());
}

run_request request_for(std::shared_ptr<const kernel_job> job, unsigned workers, schedule s) {
  run_request r;
  r.job = std::move(job);
  r.workers = workers;
  r.schedule = std::move(s);
  r.timeout = std::chrono::seconds(60);
  return r;
}

std::string what(const usable_backend& b, const schedule& s, unsigned w, const kernel_job& job) {
  return b.name + " " + (s.name.empty() ? "(default)" : to_string(s)) + " W=" + std::to_string(w) + " " +
         describe(job.spec());
}

TEST(backends, every_kernel_schedule_and_worker_count_returns_the_serial_result_at_edge_sizes) {
  auto backends = usable_backends();
  int runs = 0;
  for (const auto& k : registered_kernels()) {
    for (const auto& job : edge_jobs(*k)) {
      const result_words serial = compute(*job, {0, job->chunk_count()});
      for (auto& b : backends) {
        if (!supports_kernel(b.abilities, k->name())) continue;
        for (const schedule& s : schedules_of(b.abilities)) {
          for (const unsigned w : worker_counts) {
            const run_result r = b.instance->run(request_for(job, w, s));
            EXPECT_EQ(r.result, serial) << what(b, s, w, *job);
            // Honest counts: a worker that ran no chunk is not "used".
            EXPECT_GE(r.workers_used, 1u) << what(b, s, w, *job);
            EXPECT_LE(r.workers_used, most_used(*job, job->chunk_count(), r.workers_started)) << what(b, s, w, *job);
            ++runs;
          }
        }
      }
    }
  }
  EXPECT_GT(runs, 0);
}

// The empty schedule is the default, the first one declared.
TEST(backends, the_default_schedule_is_the_first_declared) {
  const auto job = make_job("pi", 5 * pi_chunk, 3);
  const result_words serial = compute(*job, {0, job->chunk_count()});
  for (auto& b : usable_backends()) {
    ASSERT_FALSE(b.abilities.schedules.empty()) << b.name;
    EXPECT_EQ(resolve_schedule(b.name, b.abilities, {}).name, b.abilities.schedules.front().name) << b.name;
    if (!supports_kernel(b.abilities, "pi")) continue;
    EXPECT_EQ(b.instance->run(request_for(job, 2, {})).result, serial) << b.name;
  }
}

// Where W is the backend's to fix and the schedule is a fixed block split, every worker with a
// non-empty block runs: exactly min(W, chunks) workers start and take part.
TEST(backends, a_fixed_split_uses_one_worker_per_non_empty_block) {
  for (auto& b : usable_backends()) {
    if (!b.abilities.exact_workers) continue;
    for (const auto& k : registered_kernels()) {
      if (!supports_kernel(b.abilities, k->name())) continue;
      const auto job = test_jobs::job_with_chunks(*k, 5, 1);
      for (const auto& option : b.abilities.schedules) {
        if (!option.fixed_split) continue;
        for (const unsigned w : worker_counts) {
          const run_result r = b.instance->run(request_for(job, w, {option.name, 0}));
          EXPECT_EQ(r.workers_started, w) << b.name << " " << option.name;
          EXPECT_EQ(r.workers_used, std::min(w, 5u)) << b.name << " " << option.name << " W=" << w;
        }
      }
    }
  }
}

// A nesting backend (mpi) hands its inner model one share of the job: run_request::chunks.
TEST(backends, chunk_sub_ranges_are_honoured_by_every_schedule) {
  const chunk_range ranges[] = {{0, 0}, {0, 1}, {2, 5}, {9, 13}, {0, 13}};
  for (auto& b : usable_backends()) {
    if (!b.abilities.honours_subranges) continue;
    for (const auto& k : registered_kernels()) {
      if (!supports_kernel(b.abilities, k->name())) continue;
      const auto job = test_jobs::job_with_chunks(*k, 13, 9);
      for (const chunk_range& range : ranges) {
        const result_words expected = compute(*job, range);
        for (const schedule& s : schedules_of(b.abilities)) {
          for (const unsigned w : {1u, 3u}) {
            run_request req = request_for(job, w, s);
            req.chunks = range;
            const run_result r = b.instance->run(req);
            EXPECT_EQ(r.result, expected)
                << what(b, s, w, *job) << " chunks [" << range.first << ", " << range.last << ")";
            if (!range.empty()) {
              EXPECT_LE(r.workers_used, most_used(*job, range.last - range.first, r.workers_started))
                  << what(b, s, w, *job);
            }
          }
        }
      }
    }
  }
}

TEST(backends, nestable_backends_honour_sub_ranges) {
  for (const auto& b : usable_backends()) {
    if (b.abilities.nestable) {
      EXPECT_TRUE(b.abilities.honours_subranges) << b.name;
    }
  }
}

// run() validates the schedule itself (the harness is not the only caller).
TEST(backends, run_rejects_an_unknown_schedule_and_a_chunk_count_where_none_is_taken) {
  const auto job = make_job("pi", 2 * pi_chunk, 1);
  for (auto& b : usable_backends()) {
    EXPECT_THROW((void)b.instance->run(request_for(job, 2, {"bogus", 0})), usage_error) << b.name;
    EXPECT_THROW((void)b.instance->run(request_for(job, 2, {"bogus", 2})), usage_error) << b.name;
    for (const auto& option : b.abilities.schedules) {
      if (option.takes_grain) continue;
      EXPECT_THROW((void)b.instance->run(request_for(job, 2, {option.name, 4})), usage_error)
          << b.name << " " << option.name << ":4";
    }
    try {
      (void)b.instance->run(request_for(job, 2, {"bogus", 0}));
    } catch (const usage_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(b.name), std::string::npos) << message;
      EXPECT_NE(message.find(b.abilities.schedules.front().name), std::string::npos)
          << "names the valid schedules: " << message;
    }
  }
}

// On the imbalanced kernel (ramp: the last chunks are 64x the first), a schedule that hands out
// chunks as workers free up keeps both of W = 2 workers busy. About 1e8 draws (tens of ms on one
// core), so that the second worker is up before the first could finish alone even when ctest
// loads every core; retried for a machine busier still.
TEST(backends, a_dynamic_schedule_on_the_imbalanced_kernel_uses_both_of_two_workers) {
  const kernel* imbalanced = nullptr;
  for (const auto& k : registered_kernels())
    if (k->name() == "imbalanced") imbalanced = k.get();
  if (imbalanced == nullptr) GTEST_SKIP() << "no imbalanced kernel in this build";
  const auto job = imbalanced->make_job(complete_spec(*imbalanced, 48 * pi_chunk, 5, {{"max_weight", "64"}}));
  const result_words serial = compute(*job, {0, job->chunk_count()});
  int checked = 0;
  for (auto& b : usable_backends()) {
    if (!b.abilities.exact_workers || !supports_kernel(b.abilities, "imbalanced")) continue;
    for (const auto& option : b.abilities.schedules) {
      if (option.fixed_split) continue;
      for (const std::uint64_t grain : {std::uint64_t{0}, std::uint64_t{2}}) {
        if (grain != 0 && !option.takes_grain) continue;
        unsigned best = 0;
        for (int attempt = 0; attempt < 5 && best < 2; ++attempt) {
          const run_result r = b.instance->run(request_for(job, 2, {option.name, grain}));
          ASSERT_EQ(r.result, serial) << b.name << " " << option.name;
          best = std::max(best, r.workers_used);
        }
        EXPECT_EQ(best, 2u) << b.name << " " << to_string({option.name, grain});
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0) << "some backend offers a dynamic schedule";
}

TEST(backends, start_empty_returns_for_every_backend) {
  for (auto& b : usable_backends())
    for (unsigned w : {1u, 2u, 5u}) EXPECT_NO_THROW(b.instance->start_empty(w)) << b.name;
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

namespace {

// Values from the contract's formula in Python (reports/plot.py computes the same):
//   h = FNV-1a 32-bit of name.encode(); colours[h % 10], markers[(h // 10) % 8]
TEST(backend_style, the_fallback_is_fnv1a_of_the_name_as_python_computes_it) {
  EXPECT_EQ(fnv1a_32(""), 2166136261u);
  EXPECT_EQ(fnv1a_32("async"), 2717370895u);
  EXPECT_EQ(fnv1a_32("python-numpy-fork"), 3156371088u);
  EXPECT_EQ(fallback_style("async"), (backend_style{"#8c564b", "s"}));
  EXPECT_EQ(fallback_style("python-numpy-fork"), (backend_style{"#bcbd22", "v"}));
  EXPECT_EQ(fallback_style("serial"), (backend_style{"#8c564b", "^"})) << "as if serial declared none";
  EXPECT_EQ(fallback_style("na\xc3\xafve"), (backend_style{"#d62728", "v"})) << "the UTF-8 bytes";
  EXPECT_EQ(fallback_style(""), (backend_style{"#ff7f0e", "^"}));
}

TEST(backend_style, every_built_in_backend_declares_the_style_of_the_contract) {
  const std::vector<std::pair<std::string, backend_style>> declared = {
      {"serial", {"#4d4d4d", "o"}}, {"threads", {"#1f77b4", "s"}},    {"openmp", {"#d62728", "^"}},
      {"tbb", {"#2ca02c", "D"}},    {"stdpar", {"#9467bd", "v"}},     {"fork", {"#ff7f0e", "P"}},
      {"spawn", {"#8c564b", "X"}},  {"forkserver", {"#e377c2", "*"}}, {"mpi", {"#17becf", "h"}},
      {"cuda", {"#bcbd22", "p"}}};
  std::size_t checked = 0;
  for (const auto& entry : registered_backends()) {
    const auto it =
        std::find_if(declared.begin(), declared.end(), [&](const auto& d) { return d.first == entry.name; });
    ASSERT_NE(it, declared.end()) << entry.name << " is built in but has no style in this test";
    const backend_abilities a = entry.make()->abilities();
    ASSERT_TRUE(a.style.has_value()) << entry.name;
    EXPECT_EQ(*a.style, it->second) << entry.name;
    EXPECT_EQ(style_of(entry.name, a), it->second);
    ++checked;
  }
  EXPECT_GE(checked, 5u) << "serial, threads and the three process backends at least";
  backend_abilities none;
  EXPECT_EQ(style_of("async", none), fallback_style("async")) << "a backend that declares none";
}

}  // namespace
