// `parbench overhead`: start-up cost of each backend's mechanism at each W (EPCC-style).

#include <fmt/format.h>

#include <memory>
#include <string>

#include "bench/ballast.hpp"
#include "bench/overhead.hpp"
#include "bench/progress.hpp"
#include "bench/runner.hpp"
#include "bench/suite.hpp"
#include "bench/system_info.hpp"
#include "bench/timer.hpp"
#include "cli/commands.hpp"
#include "cli/console_summary.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"
#include "reports/report_writer.hpp"

namespace parbench::cli {
namespace {

struct overhead_options {
  std::string backend = "all", workers, repetitions, out, parent_memory;
  bool quiet = false;
};

void run_overhead(const overhead_options& o) {
  bench::suite s = bench::default_suite();
  s.name = "overhead";
  s.backends.clear();
  for (const std::string_view item : parse_name_list(o.backend, "backend", "--backend")) s.backends.emplace_back(item);
  if (!o.workers.empty()) s.workers = parse_worker_list(o.workers);
  if (!o.repetitions.empty()) {
    const std::uint64_t n = parse_u64(o.repetitions, "--repetitions");
    if (n < 1 || n > 1000)
      throw usage_error(fmt::format("invalid value '{}' for --repetitions: choose 1 to 1000", o.repetitions));
    s.overhead_repetitions = static_cast<unsigned>(n);
  }
  s.break_even = false;
  const bench::machine_info machine = bench::read_machine_info();
  bench::run_plan plan = bench::make_plan(s, machine.topology);
  const std::string timestamp = bench::utc_timestamp();
  if (!o.out.empty()) reports::prepare_report_dir(o.out);
  const std::uint64_t ballast_bytes = o.parent_memory.empty() ? 0 : parse_bytes(o.parent_memory, "--parent-memory");
  const bench::resident_ballast ballast(ballast_bytes);

  bench::progress prog(o.quiet, bench::stderr_is_tty());
  for (const auto& skipped : plan.skipped) prog.note(fmt::format("skipping backend {}", skipped));
  bench::report report;
  report.overhead = bench::measure_overhead(plan, prog);
  prog.finish();
  const double timer_resolution_ns = bench::measure_timer_resolution_ns();
  fmt::print("{}", overhead_text(report.overhead, timer_resolution_ns));
  if (!o.out.empty()) {
    nlohmann::json meta = bench::metadata(machine, bench::command_line(), s.seed, timestamp);
    meta["suite"] = bench::to_json(s);
    meta["suite"]["workers"] = plan.workers;
    meta["suite"]["parent_memory_bytes"] = ballast_bytes;
    meta["timer"] = bench::timer_metadata(timer_resolution_ns);
    reports::write_report(o.out, report, meta);
    fmt::print("report: {}/\n", o.out);
  }
}

}  // namespace

void add_overhead_command(CLI::App& app) {
  auto o = std::make_shared<overhead_options>();
  auto* cmd = app.add_subcommand("overhead", "Measure the start-up cost of each backend's workers (EPCC-style)");
  cmd->add_option("-b,--backend", o->backend, "Backends: a comma-separated list or all")->capture_default_str();
  cmd->add_option("-w,--workers", o->workers, "Worker counts: list or ranges (default 1,2,4,...,ncpu)");
  cmd->add_option("-r,--repetitions", o->repetitions, "Outer repetitions (default 7)");
  cmd->add_option("--parent-memory", o->parent_memory,
                  "Touch this much memory first (e.g. 1GiB) to show how fork's cost grows with the parent's size");
  cmd->add_option("-o,--out", o->out, "Also write a report folder (overhead.csv, metadata.json)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->callback([o] { run_overhead(*o); });
}

}  // namespace parbench::cli
