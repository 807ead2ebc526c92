#include "bench/capture_reporter.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <numeric>

namespace parbench::bench {

capture_reporter::capture_reporter(bool json) {
  if (json) {
    json_ = std::make_unique<benchmark::JSONReporter>();
    json_->SetOutputStream(&json_out_);
    json_->SetErrorStream(&json_out_);
  }
}

bool capture_reporter::ReportContext(const Context& context) {
  if (json_) json_->ReportContext(context);
  return true;
}

namespace {

// Google Benchmark's own statistics, over each repetition's CPU seconds per iteration.
double cpu_statistic(const std::string& aggregate, std::vector<double> v) {
  if (v.empty()) return 0.0;
  const double n = static_cast<double>(v.size());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  if (aggregate == "mean") return mean;
  if (aggregate == "median") {
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
  }
  double squares = 0;
  for (const double x : v) squares += (x - mean) * (x - mean);
  const double sd = v.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  if (aggregate == "stddev") return sd;
  if (aggregate == "cv") return mean > 0 ? sd / mean : 0.0;
  return mean;
}

}  // namespace

std::vector<benchmark::BenchmarkReporter::Run> capture_reporter::for_json(const std::vector<Run>& runs) {
  std::vector<Run> out = runs;
  for (auto& r : out) {
    const std::string key = r.run_name.function_name;
    r.run_name.repetitions.clear();
    r.run_name.iterations.clear();
    r.run_name.min_time.clear();
    r.time_unit = benchmark::kMicrosecond;
    // The measurement conditions are results.csv columns, not throughput counters; and JSON has
    // no NaN (Google Benchmark's cv of an all-zero counter is 0/0).
    for (const char* condition : {"other_cpu", "steal", "load1_start"}) r.counters.erase(condition);
    std::erase_if(r.counters, [](const auto& counter) { return !std::isfinite(counter.second.value); });
    if (r.run_type == Run::RT_Iteration) {
      const auto cpu = r.counters.find("cpu_s");
      if (cpu != r.counters.end() && !r.error_occurred) {
        r.cpu_accumulated_time = cpu->second.value * static_cast<double>(r.iterations);
        cpu_per_iteration_[key].push_back(cpu->second.value);
      }
    } else if (const auto cpu = cpu_per_iteration_.find(key); cpu != cpu_per_iteration_.end()) {
      // The reporter divides a time aggregate by its iterations and prints a percentage one as is.
      const double value = cpu_statistic(r.aggregate_name, cpu->second);
      r.cpu_accumulated_time =
          r.aggregate_unit == benchmark::StatisticUnit::kPercentage ? value : value * static_cast<double>(r.iterations);
    }
  }
  return out;
}

void capture_reporter::ReportRuns(const std::vector<Run>& runs) {
  if (json_) json_->ReportRuns(for_json(runs));
  for (const auto& r : runs) {
    if (r.run_type != Run::RT_Iteration) continue;  // we compute our own statistics
    captured_run c;
    c.name = r.run_name.function_name;
    c.repetition = r.repetition_index < 0 ? 0 : r.repetition_index;
    c.iterations = static_cast<long long>(r.iterations);
    c.real_s_per_iteration = r.iterations > 0 ? r.real_accumulated_time / static_cast<double>(r.iterations) : 0.0;
    c.failed = r.error_occurred;
    c.error = r.error_message;
    for (const auto& [k, v] : r.counters) c.counters[k] = v.value;
    runs_.push_back(std::move(c));
  }
}

void capture_reporter::Finalize() {
  if (json_) json_->Finalize();
}

void init_google_benchmark() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Repetitions of all registered benchmarks run in a random order, so slow drift of the
    // machine (other load, thermal state) does not bias one backend.
    static char prog[] = "parbench";
    static char interleave[] = "--benchmark_enable_random_interleaving=true";
    static std::array<char*, 3> argv{prog, interleave, nullptr};
    int argc = 2;
    benchmark::Initialize(&argc, argv.data());
  });
}

}  // namespace parbench::bench
