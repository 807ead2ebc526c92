#pragma once
// Google Benchmark is the timing engine; this display reporter turns its per-repetition
// runs into plain records (and optionally forwards them to its JSON reporter). It prints
// nothing itself: parbench's own console summary consumes the records.

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace parbench::bench {

/// One counted repetition as Google Benchmark measured it.
struct captured_run {
  std::string name;  ///< the name given to RegisterBenchmark
  long long repetition = 0;
  long long iterations = 0;
  double real_s_per_iteration = 0;
  bool failed = false;
  std::string error;
  std::map<std::string, double> counters;
};

class capture_reporter final : public benchmark::BenchmarkReporter {
 public:
  /// With `json`, runs are also given to Google Benchmark's JSON reporter (json_text()).
  explicit capture_reporter(bool json);
  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  [[nodiscard]] const std::vector<captured_run>& runs() const noexcept { return runs_; }
  /// Google Benchmark's JSON document (empty without `json`), made for the tools that read it
  /// (its compare.py, continuous-benchmarking services): names without the parts that change
  /// with --repetitions or --min-time ("repeats:N", "iterations:N", "min_time:S"), times in
  /// microseconds, and cpu_time the CPU of every worker (threads and child processes: the
  /// cpu_s counter), its aggregates recomputed from those.
  [[nodiscard]] std::string json_text() const { return json_out_.str(); }

 private:
  /// The JSON copy of `runs`: stable names, microseconds, workers' CPU.
  std::vector<Run> for_json(const std::vector<Run>& runs);

  std::vector<captured_run> runs_;
  std::map<std::string, std::vector<double>> cpu_per_iteration_;  ///< per benchmark, each repetition's
  std::unique_ptr<benchmark::JSONReporter> json_;
  std::ostringstream json_out_;
};

/// Initialises Google Benchmark once per process with random interleaving of repetitions.
void init_google_benchmark();

}  // namespace parbench::bench
