#include "bench/triad_bench.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "backends/registry.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"
#include "kernels/registry.hpp"

namespace parbench::bench {
namespace {

constexpr double q = 3.0;

void set_bandwidth(benchmark::State& state, std::uint64_t elements) {
  state.counters["bytes/s"] = benchmark::Counter(
      24.0 * static_cast<double>(elements) * triad_bench_passes * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

#ifdef _OPENMP
// The reference: three arrays of its own, first touched by the same static split that then
// streams through them, one parallel loop per pass (BabelStream's OpenMP triad).
void openmp_reference(benchmark::State& state) {
  const std::uint64_t n = triad_bench_elements();
  const int threads = static_cast<int>(state.range(0));
  const auto length = static_cast<long long>(n);
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  double* __restrict pa = a.get();
  double* __restrict pb = b.get();
  double* __restrict pc = c.get();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (long long i = 0; i < length; ++i) {
    pa[i] = 0.0;
    pb[i] = static_cast<double>(i & 1023);
    pc[i] = static_cast<double>((i >> 10) & 1023);
  }
  for (auto _ : state) {
    for (unsigned pass = 0; pass < triad_bench_passes; ++pass) {
#pragma omp parallel for schedule(static) num_threads(threads)
      for (long long i = 0; i < length; ++i) pa[i] = pb[i] + q * pc[i];
    }
    benchmark::ClobberMemory();
  }
  for (std::uint64_t i = 0; i < n; i += 4097)
    if (pa[i] != pb[i] + q * pc[i]) state.SkipWithError("the reference triad computed a wrong element");
  set_bandwidth(state, n);
}
#endif

void backend_triad(benchmark::State& state, const std::string& name) {
  std::unique_ptr<backend> b;
  run_request request;
  try {
    b = find_backend(name).make();
    request.job = make_job("triad", triad_bench_elements(), 1, {{"passes", std::to_string(triad_bench_passes)}});
    request.workers = static_cast<unsigned>(state.range(0));
    (void)run_setup(*b, request);  // first touch by this backend's workers, untimed
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    try {
      const run_result r = b->run(request);
      if (!request.job->check(r.result).ok) {
        state.SkipWithError(request.job->check(r.result).summary.c_str());
        return;
      }
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  try {
    const auto v = run_verify(*b, request);
    if (v && !v->ok) state.SkipWithError(v->summary.c_str());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  set_bandwidth(state, triad_bench_elements());
}

}  // namespace

std::uint64_t triad_bench_elements() {
  static const std::uint64_t elements = [] {
    if (const char* text = std::getenv("PARBENCH_BENCH_TRIAD_ELEMENTS"); text != nullptr && *text != '\0')
      return parse_count(text, "PARBENCH_BENCH_TRIAD_ELEMENTS");
    const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
    return std::max<std::uint64_t>(std::uint64_t{1} << 25, l3 > 0 ? 4 * static_cast<std::uint64_t>(l3) / 8 : 0);
  }();
  return elements;
}

void register_triad_benchmarks() {
  const auto cores = static_cast<long>(std::max(1u, std::thread::hardware_concurrency()));
  const auto widths = [&](benchmark::internal::Benchmark* bm) {
    bm->Arg(1);
    if (cores > 1) bm->Arg(cores);
    bm->UseRealTime()->Iterations(1)->Unit(benchmark::kMillisecond);
  };
#ifdef _OPENMP
  widths(benchmark::RegisterBenchmark("triad/openmp_reference", openmp_reference));
#endif
  for (const auto& entry : registered_backends()) {
    const std::unique_ptr<backend> b = entry.make();
    if (!supports_kernel(b->abilities(), "triad") || !b->probe().usable) continue;
    auto* bm = benchmark::RegisterBenchmark(("triad/" + entry.name).c_str(), backend_triad, entry.name);
    if (entry.name == "serial") {
      bm->Arg(1)->UseRealTime()->Iterations(1)->Unit(benchmark::kMillisecond);  // one worker only
    } else {
      widths(bm);
    }
  }
}

}  // namespace parbench::bench
