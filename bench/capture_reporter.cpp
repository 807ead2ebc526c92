#include "bench/capture_reporter.hpp"

#include <array>
#include <mutex>

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

void capture_reporter::ReportRuns(const std::vector<Run>& runs) {
  if (json_) json_->ReportRuns(runs);
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
