// `parbench run`: the benchmark suite — sweeps, derived metrics, start-up overhead,
// break-even sizes — written as a report folder (docs/report-format.md).

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/derived.hpp"
#include "bench/overhead.hpp"
#include "bench/peer.hpp"
#include "bench/progress.hpp"
#include "bench/runner.hpp"
#include "bench/suite.hpp"
#include "bench/system_info.hpp"
#include "bench/timer.hpp"
#include "cli/commands.hpp"
#include "cli/console_summary.hpp"
#include "cli/summary_markdown.hpp"
#include "core/console_text.hpp"
#include "core/dir_lock.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"
#include "core/signals.hpp"
#include "core/version.hpp"
#include "kernels/montecarlo/sampler.hpp"
#include "kernels/registry.hpp"
#include "reports/plot.hpp"
#include "reports/report_writer.hpp"

namespace parbench::cli {
namespace {

struct run_options {
  std::string kernel, backend, workers, samples, seed, rng, repetitions, out, scaling, suite_file, min_time, timeout,
      run_timeout, break_even_sizes, peer, schedule, inner, pin;
  std::vector<std::string> params;
  bool list = false, json = false, plot = false, quiet = false, no_overhead = false, no_break_even = false;
};

unsigned parse_repetitions(const std::string& text) {
  const std::uint64_t n = parse_u64(text, "--repetitions");
  if (n < 1 || n > 1000) throw usage_error(fmt::format("invalid value '{}' for --repetitions: choose 1 to 1000", text));
  return static_cast<unsigned>(n);
}

// The suite: embedded default, then the suite file, then flags.
bench::suite build_suite(const run_options& o) {
  bench::suite s = o.suite_file.empty() ? bench::default_suite() : bench::read_suite(o.suite_file);
  if (!o.kernel.empty()) {
    // --kernel replaces the suite's kernels; each keeps only the suite-wide settings.
    s.kernels.clear();
    for (const kernel* k : parse_kernel_list(o.kernel)) {
      bench::kernel_entry e;
      e.name = std::string(k->name());
      // Without --samples, a kernel with a size of its own (triad: 4x the L3 cache) uses it.
      if (o.samples.empty())
        if (const auto size = k->default_size()) e.samples = {*size};
      s.kernels.push_back(std::move(e));
    }
  }
  for (const auto& text : o.params)
    for (auto& p : parse_params(text)) s.params.push_back(std::move(p));
  if (!o.schedule.empty()) {
    s.schedules.clear();
    for (const std::string_view item : parse_name_list(o.schedule, "schedule", "--schedule"))
      s.schedules.emplace_back(item);
    // A schedule list on the command line applies to every kernel.
    for (auto& k : s.kernels) k.schedules.clear();
  }
  if (!o.backend.empty()) {
    // A list of names, as a suite file has it ("all" stays "all"); parse_backend_list checks them.
    s.backends.clear();
    for (const std::string_view item : parse_name_list(o.backend, "backend", "--backend"))
      s.backends.emplace_back(item);
  }
  if (!o.inner.empty()) {
    (void)find_backend(o.inner);
    s.inner = o.inner;
  }
  if (!o.workers.empty()) {
    s.workers = parse_worker_list(o.workers);
    for (auto& k : s.kernels) {
      k.workers.clear();
      k.workers_at_cpus = false;
    }
  }
  if (!o.samples.empty()) {
    // Sizes on the command line are for the kernels it names: without --kernel (and without a
    // suite file) that is pi, the default, and the default suite's second kernel is dropped.
    if (o.kernel.empty() && o.suite_file.empty()) s.kernels = {bench::kernel_entry{}};
    s.samples = parse_count_list(o.samples, "--samples");
    for (auto& k : s.kernels) k.samples.clear();
  }
  if (!o.break_even_sizes.empty()) s.break_even_sizes = parse_count_list(o.break_even_sizes, "--break-even-sizes");
  if (!o.seed.empty()) s.seed = parse_u64(o.seed, "--seed");
  if (!o.rng.empty()) s.rng = std::string(kernels::to_string(kernels::parse_rng(o.rng)));
  if (!o.repetitions.empty()) s.repetitions = parse_repetitions(o.repetitions);
  if (!o.scaling.empty()) {
    if (o.scaling != "strong" && o.scaling != "weak")
      throw usage_error(fmt::format("invalid value '{}' for --scaling: choose strong or weak", o.scaling));
    s.scaling = o.scaling;
  }
  if (!o.min_time.empty()) s.min_time_s = parse_seconds(o.min_time, "--min-time");
  if (!o.timeout.empty()) s.timeout_s = parse_seconds(o.timeout, "--timeout");
  if (!o.pin.empty()) {
    const auto pin = parse_pin_policy(o.pin);
    if (!pin) throw usage_error(fmt::format("invalid value '{}' for --pin: choose none, compact or spread", o.pin));
    s.pin = *pin;
  }
  if (o.no_overhead) s.overhead = false;
  if (o.no_break_even) {
    s.break_even = false;
    for (auto& k : s.kernels) k.break_even = false;
  }
  return s;
}

// reports/<timestamp>, or <timestamp>-2, -3, ... when that is taken. Created here by mkdir,
// which fails when the name exists, so two runs started in the same second never share a
// folder and a run never writes into an earlier run's.
std::filesystem::path create_default_report_dir(const std::string& timestamp) {
  std::string name = timestamp;  // "2026-11-26T03:10:00Z" -> "2026-11-26T03-10-00Z": no ':' in paths
  for (char& c : name)
    if (c == ':') c = '-';
  const std::filesystem::path parent("reports");
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    throw report_error(fmt::format("cannot create the folder '{}': {}; choose a writable path with --out",
                                   parent.string(), ec.message()));
  for (int n = 1; n <= 1000; ++n) {
    std::filesystem::path dir = parent / (n == 1 ? name : fmt::format("{}-{}", name, n));
    if (::mkdir(dir.c_str(), 0777) == 0) return dir;
    if (errno != EEXIST)
      throw report_error(fmt::format("cannot create output folder '{}': {}; choose a writable path with --out",
                                     dir.string(), std::strerror(errno)));
  }
  throw report_error(
      fmt::format("'{}' already holds 1000 reports named {}; choose a folder with --out", parent.string(), name));
}

void run(const run_options& o) {
  // Everything that can be wrong with the request is found before anything is measured.
  const bench::suite s = build_suite(o);
  const std::chrono::milliseconds run_limit(
      o.run_timeout.empty() ? 0 : static_cast<long long>(parse_seconds(o.run_timeout, "--run-timeout") * 1000));
  const bench::machine_info machine = bench::read_machine_info();
  bench::run_plan plan = bench::make_plan(s, machine.topology);
  const std::vector<bench::peer_spec> peers =
      o.peer.empty() ? std::vector<bench::peer_spec>{} : bench::parse_peer_list(o.peer);
  const bench::peer_environment peer_env = peers.empty() ? bench::peer_environment{} : bench::find_peer_environment();
  if (o.list) {
    fmt::print("{}", bench::describe(plan));
    if (!peers.empty()) fmt::print("{}", bench::describe_peers(peers, peer_env));
    return;
  }
  bench::check_pinning_here(plan);
  const std::string timestamp = bench::utc_timestamp();
  std::error_code exists_error;
  const bool dir_existed = !o.out.empty() && std::filesystem::exists(o.out, exists_error);
  const std::filesystem::path dir = o.out.empty() ? create_default_report_dir(timestamp) : std::filesystem::path(o.out);
  reports::prepare_report_dir(dir);
  // Interrupted or out of time: a folder this run created is removed again if still empty
  // (docs/reliability.md); the lock keeps a second run out of this folder until we are done.
  const signals::cleanup remove_new_dir([dir, dir_existed] {
    std::error_code ec;
    if (!dir_existed) std::filesystem::remove(dir, ec);
  });
  const dir_lock lock(dir);
  const signals::deadline whole_run(
      run_limit, fmt::format("the run took longer than --run-timeout {} s: stopped, workers killed, no report written",
                             o.run_timeout));

  bench::progress prog(o.quiet, bench::stderr_is_tty());
  for (const auto& skipped : plan.skipped) prog.note(fmt::format("skipping backend {}", skipped));
  for (const auto& note : plan.left_out) prog.note(fmt::format("left out: {}", note));

  bench::report report;
  bench::sweep_result sweep = bench::run_sweep(plan, prog, o.json);
  report.results = std::move(sweep.raw);
  if (!peers.empty()) {
    auto peer_rows = bench::run_peers(peers, peer_env, s, plan.workers, prog);
    report.results.insert(report.results.end(), peer_rows.begin(), peer_rows.end());
  }
  std::vector<bench::result_row> aggregates = bench::aggregate(report.results);
  report.break_even = bench::break_even(bench::break_even_candidates(plan, bench::without_peers(aggregates)));
  report.results.insert(report.results.end(), aggregates.begin(), aggregates.end());
  if (s.overhead) report.overhead = bench::measure_overhead(plan, prog);
  prog.finish();

  const double timer_resolution_ns = bench::measure_timer_resolution_ns();
  const auto warnings = trust_warnings(report, machine, parbench::build_type);
  nlohmann::json meta = bench::metadata(machine, bench::command_line(), s.seed, timestamp);
  meta["suite"] = bench::to_json(s);
  meta["suite"]["workers"] = plan.workers;
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& sk : plan.skipped) skipped.push_back(sk);
  meta["suite"]["skipped_backends"] = skipped;
  if (auto mpi = bench::mpi_metadata(plan); !mpi.is_null()) meta["mpi"] = std::move(mpi);
  if (auto info = bench::backend_metadata(plan); !info.is_null()) meta["backend_info"] = std::move(info);
  meta["kernels"] = bench::kernel_metadata(plan);
  if (!peers.empty()) meta["suite"]["peers"] = bench::to_json(peers, peer_env);
  std::vector<std::string> peer_names;
  peer_names.reserve(peers.size());
  for (const auto& p : peers) peer_names.push_back(p.name);
  meta["backend_styles"] = bench::backend_styles(peer_names);
  meta["timer"] = bench::timer_metadata(timer_resolution_ns);
  meta["measurement"] = bench::measurement_metadata(s);
  meta["warnings"] = warnings;

  // The suite's name and the CPU model are text from outside: console_text keeps each on its line.
  const std::string header = fmt::format("parbench {}: {} on {} ({} CPUs), {} build", parbench::version, s.name,
                                         machine.cpu_model, machine.online_cpus, parbench::build_type);
  const std::string shape =
      fmt::format("machine: {}; pinning: {}", bench::describe(machine.topology), to_string(s.pin));
  const std::vector<summary_table> tables = summary_tables(report, s, timer_resolution_ns);
  reports::write_report(dir, report, meta, summary_markdown(header, tables, warnings, shape));
  if (o.json) reports::write_file_atomically(dir / reports::benchmark_json_file, sweep.benchmark_json);

  std::size_t failed = 0;
  for (const auto& r : report.results)
    if (r.row_type == "raw" && r.status == "failed") ++failed;

  fmt::print("{}\n{}\n", console_text(header), console_text(shape));
  for (const auto& t : tables) fmt::print("\n{}", console_layout(t));
  if (!warnings.empty()) {
    fmt::print("\nwarnings:\n");
    for (const auto& w : warnings) fmt::print("  - {}\n", console_text(w));
  }
  fmt::print("\nreport: {}/ (results.csv, overhead.csv, break_even.csv, metadata.json, summary.md{})\n", dir.string(),
             o.json ? ", benchmark.json" : "");
  if (o.plot) {
    std::fflush(stdout);
    reports::make_plots(dir, dir / "plots");
    fmt::print("plots: {}/\n", (dir / "plots").string());
  }
  std::fflush(stdout);
  if (failed > 0)
    throw run_error(
        fmt::format("{} measured run(s) failed their self-check or crashed; see the status and error "
                    "columns of {}",
                    failed, (dir / reports::results_file).string()));
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto o = std::make_shared<run_options>();
  auto* cmd = app.add_subcommand("run", "Run the benchmark suite and write a report folder (CSV + metadata)");
  cmd->add_option("-k,--kernel", o->kernel,
                  fmt::format("Kernels: a comma-separated list or all ({}; default: the suite's, pi and imbalanced)",
                              kernel_names()));
  cmd->add_option("-p,--param", o->params,
                  "Kernel parameters name=value[,name=value], for every kernel that declares them (repeatable; "
                  "`parbench list` shows them)");
  cmd->add_option("-s,--schedule", o->schedule,
                  "Schedules: a list of names (with :N), default (each backend's first) or all (every one it "
                  "offers); backends that do not offer one are left out for it (default: default)");
  cmd->add_option("-b,--backend", o->backend, "Backends: a comma-separated list or all (default: all in this build)");
  cmd->add_option("--inner", o->inner,
                  "Model inside each rank of --backend mpi: a nestable backend (default threads); --workers is "
                  "then per rank, and --schedule names that model's schedules");
  cmd->add_option("-w,--workers", o->workers,
                  "Worker counts: list or ranges, e.g. 1,2,4 or 1-8 or 2-16:2 (default 1,2,4,... up to the physical "
                  "cores this process may use, then on to its hardware threads)");
  cmd->add_option(
      "-n,--samples,--size", o->samples,
      "Problem sizes in each kernel's unit (samples for pi): list or ranges A-B[:STEP], e.g. 1e7,1e8 (total for "
      "strong scaling, per worker for weak; "
      "default 2^28,2^30)");
  cmd->add_option("--seed", o->seed, "Seed of the random streams (default 1)");
  cmd->add_option("--rng", o->rng, "Generator: philox (default) or light");
  cmd->add_option("-r,--repetitions", o->repetitions, "Counted repetitions per configuration (default 5)");
  cmd->add_option("-o,--out", o->out, "Report folder (default reports/<UTC timestamp>/)");
  cmd->add_option("--scaling", o->scaling, "strong (fixed total samples, default) or weak (fixed samples per worker)");
  cmd->add_option("--suite", o->suite_file, "Suite file (JSON, see docs/cli.md); flags override it");
  cmd->add_option("--break-even-sizes", o->break_even_sizes,
                  "Sizes of the break-even sweep: list or ranges (default 2^12..2^24, x4)");
  cmd->add_option("--min-time", o->min_time,
                  "Seconds per repetition; Google Benchmark then repeats the run inside it (default: one run)");
  cmd->add_option("--timeout", o->timeout, "Kill process workers that take longer (seconds, default 60)");
  cmd->add_option("--pin", o->pin,
                  "Pin workers to CPUs: none (default; the OS places them), compact (fill a core's hardware threads, "
                  "then the next core) or spread (one worker per core, round-robin over NUMA nodes and packages)");
  cmd->add_option("--run-timeout", o->run_timeout,
                  "Stop the whole run after this many seconds: workers killed, no report, exit 3 (default: none)");
  cmd->add_option("--peer", o->peer,
                  "Also run reference peers (docs/peers.md): python (the tutorial's Python, fork, pure and numpy), "
                  "python-all, or python-<pure|numpy>-<fork|spawn|forkserver> names");
  cmd->add_flag("--no-overhead", o->no_overhead, "Skip the start-up overhead measurement");
  cmd->add_flag("--no-break-even", o->no_break_even, "Skip the break-even sweep");
  cmd->add_flag("--list", o->list, "Show what would run, run nothing");
  cmd->add_flag("--json", o->json, "Also write Google Benchmark's JSON (benchmark.json)");
  cmd->add_flag("--plot", o->plot, "Draw plots into the report's plots/ folder");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->callback([o] { run(*o); });
}

}  // namespace parbench::cli
