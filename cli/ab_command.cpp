// `parbench ab A B -- RUN-ARGS`: an interleaved A/B measurement in one job. Two builds (two
// parbench binaries, or scripts that run one with an environment of their own) run the same
// suite one repetition at a time, alternating in a balanced order (bench/ab_order.hpp), so that
// load which changes during the job falls on both sides alike; then the gate compares them.
// Writes OUT/a and OUT/b (whole reports, atomically) and OUT/comparison.md (docs/ci.md).

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/ab_order.hpp"
#include "bench/derived.hpp"
#include "bench/records.hpp"
#include "bench/system_info.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/parse.hpp"
#include "core/signals.hpp"
#include "core/subprocess.hpp"
#include "reports/compare.hpp"
#include "reports/report_reader.hpp"
#include "reports/report_writer.hpp"

namespace parbench::cli {
namespace {

namespace fs = std::filesystem;

struct ab_options {
  std::string a;
  std::string b;
  std::vector<std::string> run_args;
  std::string rounds = "10";
  std::string order = "abba";
  std::string seed = "1";
  std::string out;
  std::string threshold = "5";
  std::string alpha = "0.05";
  std::string timeout = "3600";
};

// Flags of `run` that `ab` sets itself, or that would make a round write something else.
bool reserved(const std::string& arg) {
  for (const char* flag : {"-r", "--repetitions", "-o", "--out", "--list", "--json", "--plot", "--suite"}) {
    const std::string f(flag);
    if (arg == f || (f.size() > 2 && arg.rfind(f + "=", 0) == 0)) return true;
  }
  return arg.size() > 2 && arg[0] == '-' && arg[1] != '-' && (arg[1] == 'r' || arg[1] == 'o');
}

std::string side_executable(const std::string& path, const char* side) {
  if (path.empty() || ::access(path.c_str(), X_OK) != 0 || fs::is_directory(path))
    throw usage_error(
        fmt::format("{} '{}' is not an executable file: give the path of a parbench binary, or of a "
                    "script that runs one (\"$@\" passed on)",
                    side, path));
  return path;
}

// The last non-empty line of a child's stderr: its error message.
std::string last_line(const std::string& text) {
  std::string line;
  std::size_t end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return line;
  const std::size_t begin = text.find_last_of('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end + 1 - (begin == std::string::npos ? 0 : begin + 1));
}

// One repetition of the whole suite by one side into `dir`. A run whose repetitions failed
// (exit 3) still wrote its report; its failed rows go into the comparison, which fails on them.
void run_round(const std::string& exe, const std::vector<std::string>& run_args, const fs::path& dir,
               std::chrono::seconds limit, const std::string& what) {
  std::vector<std::string> args = {exe, "run"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  for (const char* flag : {"--no-overhead", "--no-break-even"})
    if (std::find(run_args.begin(), run_args.end(), flag) == run_args.end()) args.emplace_back(flag);
  for (const char* extra : {"--repetitions", "1", "--quiet", "--out"}) args.emplace_back(extra);
  args.push_back(dir.string());
  const auto result = subprocess::run(args, limit);
  signals::wait_if_stopping();  // interrupted: the signal decides the exit status
  if (!result) throw run_error(fmt::format("{}: cannot start '{}': {}", what, exe, std::strerror(errno)));
  if (result->timed_out)
    throw run_error(fmt::format("{}: '{}' ran past --timeout {} s and was stopped", what, exe, limit.count()));
  const bool wrote_report = fs::exists(dir / reports::results_file) && fs::exists(dir / reports::metadata_file);
  if (result->exit_code == 0 || (result->exit_code == static_cast<int>(exit_code::run_failed) && wrote_report)) return;
  throw run_error(fmt::format("{}: '{} run ...' exited with status {}: {}", what, exe, result->exit_code,
                              last_line(result->err.empty() ? result->out : result->err)));
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw run_error(fmt::format("{}: not the metadata a round should have written: {}", path.string(), e.what()));
  }
}

// One side's rounds as one report: every round's raw rows, numbered as repetitions, and the
// aggregates computed from them as `run` computes them.
void merge_side(const std::vector<fs::path>& rounds, const fs::path& out, nlohmann::json ab) {
  bench::report report;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    for (auto& row : reports::read_results((rounds[i] / reports::results_file).string())) {
      if (row.row_type != "raw") continue;
      row.repetition = static_cast<unsigned>(i);
      report.results.push_back(std::move(row));
    }
  }
  const std::vector<bench::result_row> aggregates = bench::aggregate(report.results);
  report.results.insert(report.results.end(), aggregates.begin(), aggregates.end());
  nlohmann::json meta = read_json(rounds.front() / reports::metadata_file);
  meta["suite"]["repetitions"] = rounds.size();
  meta["ab"] = std::move(ab);
  reports::write_report(out, report, meta);
}

// The rounds' reports: removed when done, on an error, and when interrupted.
struct scratch_dir {
  fs::path path;
  signals::cleanup on_signal;
  explicit scratch_dir(fs::path p)
      : path(std::move(p)), on_signal([dir = path] {
          std::error_code ignored;
          fs::remove_all(dir, ignored);
        }) {
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::create_directories(path, ec);
    if (ec) throw report_error(fmt::format("cannot create {}: {}", path.string(), ec.message()));
  }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

void run_ab(const ab_options& o) {
  const std::string a = side_executable(o.a, "A");
  const std::string b = side_executable(o.b, "B");
  for (const auto& arg : o.run_args)
    if (reserved(arg))
      throw usage_error(
          fmt::format("'{}' cannot be given to the rounds of ab: it sets the repetitions (--rounds), "
                      "the report folders (--out) and what each round writes itself",
                      arg));
  const std::uint64_t rounds = parse_u64(o.rounds, "--rounds");
  if (rounds < 2 || rounds > 1000) throw usage_error(fmt::format("--rounds {} must lie in 2..1000", o.rounds));
  const bench::ab_order_kind order = bench::parse_ab_order(o.order);
  const std::uint64_t seed = parse_u64(o.seed, "--seed");
  const std::chrono::seconds limit(static_cast<long long>(std::ceil(parse_seconds(o.timeout, "--timeout"))));
  reports::compare_options gate;
  gate.threshold = parse_fraction(o.threshold, "--threshold", true);
  gate.alpha = parse_fraction(o.alpha, "--alpha", false);

  const fs::path out = o.out.empty() ? fs::path("reports") / ("ab-" + bench::utc_timestamp()) : fs::path(o.out);
  std::string safe = out.string();
  for (char& c : safe)
    if (c == ':') c = '-';
  const fs::path dir(safe);
  // Both reports' folders are proven writable before anything is measured.
  reports::prepare_report_dir(dir / "a");
  reports::prepare_report_dir(dir / "b");
  const scratch_dir scratch(dir / fmt::format(".ab-rounds-{}", ::getpid()));

  const std::vector<char> schedule = bench::ab_schedule(static_cast<unsigned>(rounds), order, seed);
  std::vector<fs::path> rounds_a, rounds_b;
  std::string schedule_text(schedule.begin(), schedule.end());
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const bool is_a = schedule[i] == 'A';
    auto& done = is_a ? rounds_a : rounds_b;
    const fs::path round_dir = scratch.path / fmt::format("{}{}", is_a ? 'a' : 'b', done.size());
    const std::string what =
        fmt::format("ab run {} of {} ({}, round {})", i + 1, schedule.size(), schedule[i], done.size() + 1);
    fmt::print(stderr, "{}\n", what);
    run_round(is_a ? a : b, o.run_args, round_dir, limit, what);
    done.push_back(round_dir);
  }

  const auto ab_meta = [&](char side, const std::string& exe) {
    return nlohmann::json{{"side", std::string(1, side)},
                          {"executable", exe},
                          {"other_executable", side == 'A' ? b : a},
                          {"rounds", rounds},
                          {"order", o.order},
                          {"seed", seed},
                          {"schedule", schedule_text},
                          {"run_arguments", o.run_args}};
  };
  merge_side(rounds_a, dir / "a", ab_meta('A', a));
  merge_side(rounds_b, dir / "b", ab_meta('B', b));

  const auto result =
      reports::compare_reports(reports::read_compare_input(dir / "a"), reports::read_compare_input(dir / "b"), gate);
  fmt::print("A: {}\nB: {}\norder: {} ({} rounds each)\n", a, b, schedule_text, rounds);
  fmt::print("{}", reports::format_console(result));
  reports::write_file_atomically(dir / "comparison.md",
                                 reports::format_markdown(result, fmt::format("A ({})", a), fmt::format("B ({})", b)));
  fmt::print("reports: {}/a/ and {}/b/, comparison: {}/comparison.md\n", dir.string(), dir.string(), dir.string());
  std::fflush(stdout);
  reports::enforce_gate(result, "from A to B");
}

}  // namespace

void add_ab_command(CLI::App& app) {
  auto o = std::make_shared<ab_options>();
  auto* cmd = app.add_subcommand(
      "ab",
      "Interleaved A/B: run two builds' suites repetition by repetition in one job, then compare (exit 1: B "
      "regressed)");
  cmd->add_option("a", o->a, "Side A, the baseline: a parbench binary, or a script that runs one with \"$@\"")
      ->required();
  cmd->add_option("b", o->b, "Side B, the candidate: the same")->required();
  cmd->add_option("run-args", o->run_args, "After --: the arguments of `run` for both sides (the suite)");
  cmd->add_option("--rounds", o->rounds, "Repetitions of each side, one per round (2..1000, default 10)");
  cmd->add_option("--order", o->order, "abba (default: A B B A blocks) or random (seeded pairs)");
  cmd->add_option("--seed", o->seed, "Seed of --order random (default 1)");
  cmd->add_option("-o,--out", o->out, "Folder for a/, b/ and comparison.md (default reports/ab-<UTC timestamp>/)");
  cmd->add_option("--threshold", o->threshold, "Minimum change of the median to count, in percent (default 5)");
  cmd->add_option("--alpha", o->alpha, "Family-wise significance level, Holm-corrected (default 0.05)");
  cmd->add_option("--timeout", o->timeout, "Stop a round that takes longer, in seconds (default 3600)");
  cmd->callback([o] { run_ab(*o); });
}

}  // namespace parbench::cli
