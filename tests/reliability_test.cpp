// The bad-input catalogue (issue 7, docs/reliability.md): the real binary on every case,
// each with its exit code and a message that names the problem. The table below is the one
// source of truth; reliability.doc_table_matches_the_test_table holds the doc to it.
//
// Cases that need a read-only folder run the binary as `nobody` (the forked child drops its
// privileges with setgid/setuid before exec), because CI runs as root and root may write
// anywhere. The full-disk case mounts a 64 KiB tmpfs in a private mount namespace
// (`unshare -m` as root, `unshare -Urm` otherwise) and fills it.

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/registry.hpp"
#include "bench/records.hpp"
#include "core/backend.hpp"
#include "kernels/registry.hpp"
#include "reports/report_reader.hpp"
#include "tests/sanitizer.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

// ---------------------------------------------------------------------------------------
// Running the binary.

struct outcome {
  int exit_code = -1;  ///< the exit status, or 128 + the signal that ended the process
  std::string output;  ///< stdout (unless redirected) and stderr together
  double seconds = 0;
  double seconds_after_signal = 0;  ///< from the case's signal to the end (its output closed by every process)
};

struct launch {
  std::string command;                ///< run by /bin/sh -c; "{bin}" and "{dir}" already replaced
  std::vector<std::string> env = {};  ///< extra "NAME=value"
  bool as_nobody = false;             ///< drop to uid/gid 65534 before exec
};

// A started command; the destructor kills and reaps it if the test did not wait for it.
class running {
 public:
  explicit running(const launch& l) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      for (const auto& kv : l.env) ::putenv(const_cast<char*>(kv.c_str()));
      if (l.as_nobody && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(125);
      ::execl("/bin/sh", "sh", "-c", ("exec " + l.command).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    start_ = std::chrono::steady_clock::now();
  }
  running(const running&) = delete;
  running& operator=(const running&) = delete;
  ~running() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

  // Reads all output and reaps the process; kills it after `limit`.
  outcome wait(std::chrono::seconds limit = 240s) {
    outcome r;
    const auto deadline = start_ + limit;
    std::array<char, 4096> buf{};
    while (out_ >= 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(pid_, SIGKILL);
        r.output += "\n[test: killed after the time limit]\n";
        break;
      }
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::read(out_, buf.data(), buf.size());
      if (n > 0) {
        r.output.append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(out_);
        out_ = -1;
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return r;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Direct children of `pid` (all its threads').
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    std::ifstream in(task.path() / "children");
    long child = 0;
    while (in >> child) out.push_back(static_cast<pid_t>(child));
  }
  return out;
}

// Threads of process `pid`.
std::size_t threads_of(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(fmt::format("/proc/{}/task", pid), ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

// CPU seconds (user + system) process `pid` has used, all its threads together.
double cpu_seconds_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto after_name = stat.rfind(')');  // the command name may hold spaces
  if (after_name == std::string::npos) return 0;
  std::istringstream fields(stat.substr(after_name + 2));
  std::string field;
  unsigned long long user = 0, system = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // state is field 3, utime 14, stime 15
    if (i == 14) user = std::stoull(field);
    if (i == 15) system = std::stoull(field);
  }
  return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// ---------------------------------------------------------------------------------------
// Scratch folders and files.

class scratch {
 public:
  scratch() {
    std::string tmpl = (fs::temp_directory_path() / "parbench-reliability-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
    fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  }
  ~scratch() {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(path_, ec))
      if (e.is_directory(ec)) fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.insert(e.path().filename().string());
  return names;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// A backend parbench knows but this build lacks (empty when every one is built).
std::string unbuilt_backend() {
  std::set<std::string> built;
  for (const auto& e : parbench::registered_backends()) built.insert(e.name);
  for (auto name : parbench::known_backend_names())
    if (!built.count(std::string(name))) return std::string(name);
  return {};
}

// A tiny but complete run: serial and threads, 5 repetitions each (enough for compare).
constexpr const char* tiny_run = "{bin} run -b serial,threads -w 1,2 -n 1e5 -r 5 --no-overhead --no-break-even -q";

// A run long enough to be interrupted while fork workers are busy.
constexpr const char* long_run = "{bin} run -b fork -w 2 -n 4e8 -r 50 --no-overhead --no-break-even -q";

std::string expand(const std::string& text, const fs::path& dir) {
  return replace_all(replace_all(text, "{bin}", PARBENCH_BINARY), "{dir}", dir.string());
}

outcome run_now(const std::string& command, const fs::path& dir) { return running({expand(command, dir)}).wait(); }

// Writes the report of a tiny run to dir/name; edits results.csv with `edit` (cells by column).
void tiny_report(const fs::path& dir, const std::string& name) {
  const auto r = run_now(std::string(tiny_run) + " --out {dir}/" + name, dir);
  if (r.exit_code != 0) throw std::runtime_error("setting up a report failed:\n" + r.output);
}

// Replaces the cell (row, column name) of a CSV file written by parbench (no quoted commas).
void set_cell(const fs::path& csv, std::size_t row, const std::string& column, const std::string& value) {
  std::vector<std::string> lines;
  std::stringstream in(slurp(csv));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
  };
  auto header = split(lines.at(0));
  if (!header.empty() && !header.back().empty() && header.back().back() == '\r') header.back().pop_back();
  const auto col = static_cast<std::size_t>(std::find(header.begin(), header.end(), column) - header.begin());
  auto cells = split(lines.at(row));
  cells.at(col) = value;
  std::string joined;
  for (std::size_t i = 0; i < cells.size(); ++i) joined += (i ? "," : "") + cells[i];
  lines.at(row) = joined;
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  write(csv, out);
}

// ---------------------------------------------------------------------------------------
// The catalogue.

using parbench::test::under_address_sanitizer;

// Cases whose limit the ASan/UBSan runtime itself runs into, so that under it they test the
// sanitizer, not parbench: with `ulimit -n 8` UBSan cannot read its own process maps (it reports
// a bogus vptr error at start-up), and 1024 spawned ASan processes (each mapping terabytes of
// shadow memory) take more than a minute to start on 2 cores, and 1024 ASan threads over two
// minutes to compute for 2 CPU-seconds. The release test step runs them.
const std::set<std::string> measured_in_the_release_build_only = {
    "plot_out_of_descriptors", "sigint_1024_spawn_workers_running", "sigterm_1024_busy_threads"};

struct catalogue_case {
  std::string name;       ///< the test name (docs/reliability.md "test" column)
  std::string what;       ///< the case, as the doc states it
  std::string behaviour;  ///< what parbench does
  int exit_code = 0;
  std::string message;  ///< must appear in the output
  std::string command;  ///< "{bin}" = the binary, "{dir}" = a fresh scratch folder
  std::function<void(const fs::path& dir)> setup = nullptr;
  std::function<void(const fs::path& dir, const outcome& r)> check = nullptr;
  bool as_nobody = false;
  std::vector<std::string> env = {};
  int signal = 0;                     ///< sent once the run has started workers (see run_case)
  std::string backend = {};           ///< skipped where this build lacks this backend
  std::size_t signal_at = 2;          ///< the signal waits for this many children of parbench
  bool signal_forkserver = false;     ///< the signal goes to the forkserver once it runs workers
  bool needs_matplotlib = false;      ///< skipped where /usr/bin/python3 cannot import matplotlib
  std::size_t signal_at_threads = 0;  ///< the signal also waits for this many threads of parbench,
                                      ///< and for them to have computed for 2 CPU-seconds
};

// What ctest and failure messages show for a case (instead of its bytes).
void PrintTo(const catalogue_case& c, std::ostream* os) { *os << c.name << ": " << c.what; }

// Entries in /dev/shm that parbench made (none: its shared memory is a memfd with no name).
// Only those: other tests running at the same time (Open MPI) leave their own there.
std::size_t parbench_shm_entries() {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().find("parbench") != std::string::npos) ++n;
  return n;
}

void previous_report(const fs::path& dir) {
  for (const char* f : {"results.csv", "overhead.csv", "break_even.csv", "metadata.json"})
    write(dir / "r" / f, fmt::format("previous {}\n", f));
}

void previous_report_intact(const fs::path& dir, const outcome&) {
  EXPECT_EQ(listing(dir / "r"),
            (std::set<std::string>{"break_even.csv", "metadata.json", "overhead.csv", "results.csv"}))
      << "no temporary, partial or lock file may remain";
  for (const char* f : {"results.csv", "overhead.csv", "break_even.csv", "metadata.json"})
    EXPECT_EQ(slurp(dir / "r" / f), fmt::format("previous {}\n", f)) << f;
}

// Plants `target` and a symbolic link to it at `link` (the report folder's entry).
void plant_link(const fs::path& target, const fs::path& link) {
  write(target, "victim\n");
  fs::create_directories(link.parent_path());
  fs::create_symlink(target, link);
}

// The link and its target are as planted: nothing was written through it, nor was it removed.
void link_untouched(const fs::path& target, const fs::path& link) {
  EXPECT_EQ(slurp(target), "victim\n") << "written through the link";
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link))) << "the link was removed or replaced";
}

// Default report folder names (reports/<UTC timestamp>) for the next two minutes, each taken.
void occupy_default_report_names(const fs::path& dir) {
  const std::time_t now = std::time(nullptr);
  for (std::time_t t = now - 1; t <= now + 120; ++t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char name[32];
    std::strftime(name, sizeof name, "%Y-%m-%dT%H-%M-%SZ", &tm);
    write(dir / "reports" / name / "marker", "taken\n");
  }
}

// No taken folder was written into; one new folder holds the report, and the output names it.
void one_new_default_report(const fs::path& dir, const outcome& r) {
  int reports = 0;
  for (const auto& e : fs::directory_iterator(dir / "reports")) {
    if (listing(e.path()) == std::set<std::string>{"marker"}) continue;
    ++reports;
    EXPECT_FALSE(fs::exists(e.path() / "marker")) << e.path() << ": a taken folder was reused";
    EXPECT_TRUE(fs::exists(e.path() / "results.csv")) << e.path();
    EXPECT_THAT(r.output, HasSubstr("report: reports/" + e.path().filename().string() + "/"));
  }
  EXPECT_EQ(reports, 1);
}

// Text from a suite file or a report cannot make a line of its own or drive the terminal.
void console_safe(const fs::path&, const outcome& r) {
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\n::"), std::string::npos) << r.output;
  EXPECT_NE(r.output.rfind("::", 0), 0u) << r.output;
}

// The whole output is one line, `parbench: error: ...` (CLI11's own errors came on two lines).
void one_error_line(const fs::path&, const outcome& r) {
  EXPECT_EQ(r.output.rfind("parbench: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

// The run ended within `limit` seconds of its start (start-up and clean-up included).
std::function<void(const fs::path&, const outcome&)> ends_within(double limit) {
  return [limit](const fs::path&, const outcome& r) { EXPECT_LT(r.seconds, limit) << r.output; };
}

// Every process of the run was gone within `limit` seconds of the case's signal.
std::function<void(const fs::path&, const outcome&)> ends_within_after_signal(double limit) {
  return [limit](const fs::path&, const outcome& r) { EXPECT_LT(r.seconds_after_signal, limit) << r.output; };
}

// `run --out {dir}/r` went on after `backend` failed: its rows failed with `reason`, serial's
// measured, the report written, no lock file left.
std::function<void(const fs::path&, const outcome&)> failed_rows(const std::string& backend,
                                                                 const std::string& reason) {
  return [backend, reason](const fs::path& d, const outcome&) {
    EXPECT_FALSE(fs::exists(d / "r" / ".parbench.lock"));
    const auto rows = parbench::reports::read_results((d / "r" / "results.csv").string());
    int failed = 0, serial_ok = 0;
    for (const auto& row : rows) {
      if (row.row_type != "raw") continue;
      if (row.backend == backend && row.status == "failed") {
        ++failed;
        EXPECT_THAT(row.error, HasSubstr(reason));
      }
      if (row.backend == "serial" && row.status == "ok") ++serial_ok;
    }
    EXPECT_GE(failed, 1) << "a failed " << backend << " row";
    EXPECT_GE(serial_ok, 1) << "the other configurations were still measured";
  };
}

// A folder user nobody may write the report into.
void nobody_out(const fs::path& d) {
  fs::create_directories(d / "r");
  fs::permissions(d / "r", fs::perms::all);
}

// A tiny report at dir/r for `plot`, edited by `edit`.
std::function<void(const fs::path&)> plot_input(const std::function<void(const fs::path& report)>& edit) {
  return [edit](const fs::path& d) {
    tiny_report(d, "r");
    edit(d / "r");
  };
}

// The markdown part of the output is inert: no tag, link, image, mention or line of its own.
void markdown_safe(const fs::path& d, const outcome& r) {
  console_safe(d, r);
  const std::string md = r.output.substr(std::min(r.output.size(), r.output.find("## parbench compare")));
  ASSERT_FALSE(md.empty()) << r.output;
  EXPECT_EQ(md.find(" <img"), std::string::npos) << md;
  EXPECT_EQ(md.find("[l](http"), std::string::npos) << md;
  EXPECT_EQ(md.find("@octocat"), std::string::npos) << md;
  EXPECT_THAT(md, HasSubstr("\\[l\\](http:")) << md;
}

std::vector<catalogue_case> catalogue() {
  const std::string bad_suite = "{bin} run --list --suite {dir}/";
  std::vector<catalogue_case> c = {
      // Numbers.
      {"samples_zero", "`--samples 0`", "rejected before any work", 2, "must be at least 1", "{bin} pi --samples 0"},
      {"samples_negative", "`--samples -5`", "rejected", 2, "must be positive", "{bin} pi --samples -5"},
      {"samples_letters", "`--samples abc`", "rejected, says what is allowed", 2, "expected a positive whole number",
       "{bin} pi --samples abc"},
      {"samples_trailing_garbage", "`--samples 12abc`", "rejected, quotes the input", 2, "'12abc'",
       "{bin} pi --samples 12abc"},
      {"samples_empty", "`--samples ''`", "rejected", 2, "--samples", "{bin} pi --samples ''"},
      {"samples_1e30", "`--samples 1e30`", "rejected: too large (max 2^63)", 2, "too large", "{bin} pi --samples 1e30"},
      {"samples_2_pow_64", "`--samples 18446744073709551616`", "rejected: too large, no wrap-around", 2, "too large",
       "{bin} pi --samples 18446744073709551616"},
      {"samples_fraction", "`--samples 2.5`", "rejected: not a whole number", 2, "not a whole number",
       "{bin} pi --samples 2.5"},
      {"workers_zero", "`--workers 0`", "rejected", 2, "at least 1", "{bin} pi --workers 0"},
      {"workers_negative", "`--workers -1`", "rejected", 2, "must be positive", "{bin} pi --workers -1"},
      {"workers_letter", "`--workers x`", "rejected, names the range", 2, "from 1 to 1024", "{bin} pi --workers x"},
      {"workers_100000", "`--workers 100000` with `fork`", "rejected before any worker is forked (cap 1024)", 2,
       "at most 1024", "{bin} pi --backend fork --workers 100000"},
      {"worker_list_duplicate", "`run --workers 1,1`", "rejected", 2, "appears twice",
       "{bin} run --list --workers 1,1"},
      {"repetitions_zero", "`run --repetitions 0`", "rejected", 2, "--repetitions", "{bin} run --list --repetitions 0"},
      {"timeout_zero", "`--timeout 0`", "rejected: from 0.001 to 1e7 seconds", 2, "--timeout",
       "{bin} run --list --timeout 0"},
      {"run_timeout_letters", "`--run-timeout abc`", "rejected", 2, "--run-timeout",
       "{bin} run --list --run-timeout abc"},
      // Backends and flags.
      {"backend_unknown", "unknown backend `nope`", "rejected, lists the built backends", 2,
       "unknown backend 'nope'; choose from: serial", "{bin} pi --backend nope"},
      {"backend_not_built", "a known backend that this build lacks", "rejected, says how to build it", 2,
       "is not in this build", "{bin} pi --backend {unbuilt}"},
      {"backend_duplicate", "`--backend serial,serial`", "rejected", 2, "listed twice",
       "{bin} pi --backend serial,serial"},
      {"backend_list_empty", "`--backend ''`", "rejected", 2, "--backend: an empty value means nothing",
       "{bin} pi --backend ''"},
      {"rng_unknown", "`--rng mt`", "rejected, lists the generators", 2, "choose philox", "{bin} pi --rng mt"},
      // Kernels, parameters and schedules.
      {"kernel_unknown", "unknown kernel `--kernel nope`", "rejected, lists the kernels", 2,
       "unknown kernel 'nope'; choose from: pi", "{bin} pi --kernel nope"},
      {"kernel_list_unknown", "`run --kernel pi,nope`", "rejected, lists the kernels", 2, "unknown kernel 'nope'",
       "{bin} run --list --kernel pi,nope"},
      {"param_unknown", "`--param nope=1`", "rejected, lists the kernel's parameters", 2,
       "kernel pi has no parameter 'nope'; its parameters: rng", "{bin} pi --param nope=1"},
      {"param_bad_choice", "`--kernel imbalanced --param profile=flat`", "rejected, lists the choices", 2,
       "invalid value 'flat' for parameter profile; choose ramp, heavy, random",
       "{bin} pi --kernel imbalanced --param profile=flat"},
      {"param_out_of_range", "`--param max_weight=0`", "rejected, names the range", 2, "give an integer in 1..1024",
       "{bin} pi --kernel imbalanced --param max_weight=0"},
      {"param_malformed", "`--param rng` (no value)", "rejected, shows the syntax", 2, "write name=value",
       "{bin} pi --param rng"},
      {"param_twice", "`--rng light --param rng=philox`", "rejected", 2, "parameter rng is given twice",
       "{bin} pi --rng light --param rng=philox"},
      {"param_of_no_kernel", "`run --param nope=1`", "rejected, names the kernels", 2,
       "no kernel of this run has a parameter 'nope'", "{bin} run --list --param nope=1"},
      {"schedule_unknown", "`-b threads --schedule bogus`", "rejected, lists the backend's schedules", 2,
       "threads: unknown schedule 'bogus'; choose static, dynamic[:N]", "{bin} pi -b threads --schedule bogus"},
      {"schedule_no_backend", "`--kernel imbalanced --schedule bogus` under all backends",
       "rejected: no backend offers it", 2, "with schedule 'bogus'", "{bin} pi --kernel imbalanced --schedule bogus"},
      {"schedule_none_in_run", "`run --schedule bogus`", "rejected: no backend of the run offers it", 2,
       "no backend of this run offers schedule 'bogus'", "{bin} run --list --schedule bogus"},
      {"schedule_grain_not_taken", "`-b threads --schedule static:4` (static takes no grain)", "rejected", 2,
       "schedule static takes no chunk count", "{bin} pi -b threads --schedule static:4"},
      {"schedule_grain_zero", "`-b threads --schedule dynamic:0`", "rejected, names the range", 2,
       "invalid chunk count '0'", "{bin} pi -b threads --schedule dynamic:0"},
      {"scaling_unknown", "`run --scaling sideways`", "rejected", 2, "strong or weak",
       "{bin} run --list --scaling sideways"},
      {"flag_unknown", "unknown flag `--bogus`", "rejected, names the flag", 2,
       "parbench: error: unknown option '--bogus'", "{bin} pi --bogus", nullptr, one_error_line},
      {"value_missing", "`--samples` without a value", "rejected, names the flag", 2, "parbench: error: --samples",
       "{bin} pi --samples", nullptr, one_error_line},
      {"subcommand_missing", "no subcommand", "one line: lists the subcommands", 2,
       "parbench: error: a subcommand is required; choose from: list", "{bin}", nullptr, one_error_line},
      {"subcommand_mistyped", "`parbench lsit`", "one line: unknown subcommand, did you mean `list`", 2,
       "unknown subcommand 'lsit' (did you mean 'list'?)", "{bin} lsit", nullptr, one_error_line},
      {"flag_mistyped", "`pi --smaples 5`", "one line: unknown option, did you mean `--samples`", 2,
       "unknown option '--smaples' for 'parbench pi' (did you mean '--samples'?)", "{bin} pi --smaples 5", nullptr,
       one_error_line},
      {"top_flag_mistyped", "`parbench --verison`", "one line: unknown option, did you mean `--version`", 2,
       "unknown option '--verison' for 'parbench' (did you mean '--version'?)", "{bin} --verison", nullptr,
       one_error_line},
      {"flag_twice", "`pi -n 5 -n 6`", "one line: rejected, names the flag", 2, "parbench: error: --samples",
       "{bin} pi -n 5 -n 6", nullptr, one_error_line},
      {"positional_extra", "`pi extra`", "one line: names the extra argument", 2,
       "parbench: error: unexpected argument 'extra'", "{bin} pi extra", nullptr, one_error_line},
      // Empty values, for every option in one place (cli_main.cpp), and values that mean nothing.
      {"run_workers_empty", "`run --workers ''`", "rejected (it ran the default worker counts)", 2,
       "--workers: an empty value means nothing", "{bin} run --list --workers ''", nullptr, one_error_line},
      {"repetitions_empty", "`run --repetitions ''`", "rejected (it ran the default repetitions)", 2,
       "--repetitions: an empty value means nothing", "{bin} run --list --repetitions ''", nullptr, one_error_line},
      {"out_empty", "`run --out ''`", "rejected (it wrote a default report folder)", 2,
       "--out: an empty value means nothing", "{bin} run --list --out ''", nullptr, one_error_line},
      {"isa_empty", "`pi --isa ''`", "rejected (it ran the detected kernel path)", 2,
       "--isa: an empty value means nothing", "{bin} pi --isa ''", nullptr, one_error_line},
      {"inner_without_nesting_backend", "`run -b threads --inner serial`",
       "rejected: no backend of the run has an inner model", 2, "no backend of this command (threads) runs a model",
       "{bin} run --list -b threads --inner serial", nullptr, one_error_line},
      {"peer_twice", "`run --peer python,python`", "rejected, names the peer", 2, "names peer python-pure-fork twice",
       "{bin} run --list --peer python,python", nullptr, one_error_line},
      {"fault_env_malformed",
       "`PARBENCH_FAULT=fork:x:hang`",
       "rejected before anything is printed",
       2,
       "PARBENCH_FAULT='fork:x:hang' is malformed",
       "{bin} pi -b serial -n 1e5",
       nullptr,
       one_error_line,
       false,
       {"PARBENCH_FAULT=fork:x:hang"}},
      {"fault_env_unknown_backend",
       "`PARBENCH_FAULT=nope:1:hang`",
       "rejected (it was ignored)",
       2,
       "names backend 'nope', which has no fault hook",
       "{bin} pi -b serial -n 1e5",
       nullptr,
       one_error_line,
       false,
       {"PARBENCH_FAULT=nope:1:hang"}},
      // Pinning and the machine's shape.
      {"pin_unknown", "`run --pin sideways`", "rejected, lists the policies", 2,
       "invalid value 'sideways' for --pin: choose none, compact or spread", "{bin} run --list --pin sideways", nullptr,
       one_error_line},
      {"pin_more_workers_than_cpus",
       "`run -w 3 --pin compact` where the process may use 2 CPUs",
       "rejected before anything runs, says how many CPUs and what to pass",
       2,
       "3 workers cannot each have a CPU of their own; this process may use 2 CPUs (0-1). Use --workers 2 or less",
       "{bin} run --list -w 3 --pin compact",
       nullptr,
       one_error_line,
       false,
       {"PARBENCH_TOPOLOGY=core:2 pu:1"}},
      {"topology_malformed",
       "`PARBENCH_TOPOLOGY=pack:two`",
       "rejected, shows a valid description",
       2,
       "'pack:two' is not a hwloc synthetic description",
       "{bin} run --list",
       nullptr,
       one_error_line,
       false,
       {"PARBENCH_TOPOLOGY=pack:two"}},
      {"pin_cpu_not_allowed",
       "`--pin compact` onto a CPU outside the process's set (`taskset -c 0`, a `PARBENCH_TOPOLOGY` of 2 cores)",
       "rejected before anything runs, names the worker, the CPU and the CPUs it may use",
       2,
       "--pin compact: worker 1 of W=2 would run on CPU 1, which this process may not use (it may use 0); the plan "
       "is for synthetic:core:2 pu:1 (PARBENCH_TOPOLOGY)",
       "taskset -c 0 {bin} run -b serial,threads -w 2 --pin compact -n 1e5 -o {dir}/r",
       nullptr,
       [](const fs::path& d, const outcome& r) {
         one_error_line(d, r);
         EXPECT_FALSE(fs::exists(d / "r" / "results.csv")) << "nothing written";
       },
       false,
       {"PARBENCH_TOPOLOGY=core:2 pu:1"}},
      // Suite files.
      {"suite_missing", "suite file missing", "rejected, names the file", 2, "cannot open suite file",
       bad_suite + "missing.json"},
      {"suite_empty", "suite file empty", "rejected, shows an example", 2, "the suite file is empty",
       bad_suite + "empty.json", [](const fs::path& d) { write(d / "empty.json", ""); }},
      {"suite_directory", "suite file is a folder", "rejected, names the path", 2, "adir' is a folder",
       bad_suite + "adir", [](const fs::path& d) { fs::create_directories(d / "adir"); }},
      {"suite_malformed", "suite file malformed JSON", "rejected with file:line:column", 2,
       "bad.json:2:", bad_suite + "bad.json", [](const fs::path& d) { write(d / "bad.json", "{\"workers\": [1,\n"); }},
      {"suite_unknown_key", "suite file with an unknown key", "rejected, lists the allowed keys", 2,
       "unknown key 'colour'", bad_suite + "unknown.json",
       [](const fs::path& d) { write(d / "unknown.json", "{\"backends\": [\"serial\"], \"colour\": 1}\n"); }},
      {"suite_kernel_unknown_key", "suite file with an unknown key in a kernels entry",
       "rejected with file:line:column, lists the allowed keys", 2,
       "k.json:2:4: unknown key 'colour' in a kernels entry", bad_suite + "k.json",
       [](const fs::path& d) { write(d / "k.json", "{\"kernels\": [\"pi\",\n  {\"colour\": 1}]}\n"); }},
      {"suite_kernel_bad_param", "suite file with a bad kernel parameter", "rejected, lists the choices", 2,
       "invalid value 'flat' for parameter profile", bad_suite + "p.json",
       [](const fs::path& d) {
         write(d / "p.json", "{\"kernels\": [{\"name\": \"imbalanced\", \"params\": {\"profile\": \"flat\"}}]}\n");
       }},
      {"suite_deeply_nested", "suite file nested 100000 levels deep", "rejected (cap: 64 levels)", 2,
       "nested more than 64 levels deep", bad_suite + "deep.json",
       [](const fs::path& d) { write(d / "deep.json", std::string(100000, '[') + std::string(100000, ']')); }},
      {"suite_fifo", "suite file is a FIFO", "rejected at once instead of waiting for a writer", 2,
       "is not a regular file", bad_suite + "fifo.json",
       [](const fs::path& d) { ::mkfifo((d / "fifo.json").c_str(), 0644); }},
      {"suite_device", "`--suite /dev/zero`", "rejected instead of reading until memory runs out", 2,
       "is not a regular file", "{bin} run --list --suite /dev/zero"},
      {"suite_too_large", "suite file of 1 GiB (sparse)", "rejected unread (cap: 256 MiB for every input file)", 2,
       "larger than 256 MiB", bad_suite + "big.json",
       [](const fs::path& d) {
         write(d / "big.json", "");
         fs::resize_file(d / "big.json", std::uintmax_t{1} << 30);
       }},
      // Baseline reports for compare.
      {"baseline_malformed", "baseline CSV malformed (unclosed quote)", "rejected with file:line:column", 2,
       "quoted field is not closed", "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         write(d / "base" / "results.csv", "a,\"b\n1,2\n");
       }},
      {"baseline_ragged", "baseline CSV ragged (short row)", "rejected, names the line", 2, "fields but the header has",
       "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         std::string t = slurp(d / "base" / "results.csv");
         const auto second_line = t.find('\n') + 1;
         t.erase(t.find(',', second_line), t.find('\n', second_line) - t.find(',', second_line) - 1);
         write(d / "base" / "results.csv", t);
       }},
      // One past the newest schema this build writes (bench/records.hpp), so the case stays a
      // rejection when the schema is bumped.
      {"baseline_schema_version", "baseline CSV with a schema_version newer than this build's",
       "rejected, names the version", 2,
       fmt::format("unknown schema_version '{}'", parbench::bench::schema_version + 1),
       "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         set_cell(d / "base" / "results.csv", 1, "schema_version", std::to_string(parbench::bench::schema_version + 1));
       }},
      {"baseline_missing_column", "baseline CSV without the wall_s column", "rejected, names the column", 2,
       "missing column 'wall_s'", "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         const std::string t = slurp(d / "base" / "results.csv");
         write(d / "base" / "results.csv", replace_all(t, ",wall_s,", ",wall_time,"));
       }},
      {"baseline_nan_timing", "baseline timing NaN", "rejected, names the cell", 2, "is NaN",
       "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         set_cell(d / "base" / "results.csv", 1, "wall_s", "nan");
       }},
      {"baseline_inf_timing", "baseline timing inf", "rejected, names the cell", 2, "infinite",
       "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         set_cell(d / "base" / "results.csv", 1, "wall_s", "inf");
       }},
      {"baseline_negative_timing", "baseline timing negative", "rejected, names the cell", 2, "not positive",
       "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         set_cell(d / "base" / "results.csv", 1, "wall_s", "-0.5");
       }},
      {"baseline_metadata_deeply_nested", "baseline metadata.json nested 100000 levels deep",
       "rejected (cap: 64 levels) instead of a stack overflow", 2, "nested more than 64 levels deep",
       "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         write(d / "base" / "metadata.json", std::string(100000, '[') + std::string(100000, ']'));
       }},
      {"baseline_results_fifo", "baseline results.csv is a FIFO", "rejected at once instead of waiting for a writer",
       2, "is not a regular file", "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         fs::remove(d / "base" / "results.csv");
         ::mkfifo((d / "base" / "results.csv").c_str(), 0644);
       }},
      {"alpha_tiny", "`compare --alpha 1e-17` (1 - alpha rounds to 1)", "compared: the widest interval, nothing flagged",
       0, "alpha 1e-17", "{bin} compare {dir}/base {dir}/cur --alpha 1e-17",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
       }},
      {"baseline_other_machine", "baseline from another machine", "rejected unless --allow-different-machines", 2,
       "different machines", "{bin} compare {dir}/base {dir}/cur",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         auto meta = nlohmann::json::parse(slurp(d / "base" / "metadata.json"));
         meta["machine"]["cpu_model"] = "Some Other CPU";
         write(d / "base" / "metadata.json", meta.dump(2));
       }},
      // Output paths.
      {"out_is_a_file", "`--out` names a file", "rejected before measuring", 4, "is not a folder",
       std::string(tiny_run) + " --out {dir}/file", [](const fs::path& d) { write(d / "file", "x"); }},
      {"out_report_file_is_a_folder", "`--out` folder where results.csv is a folder", "rejected before measuring", 4,
       "a folder of that name is in the way", std::string(tiny_run) + " --out {dir}/r",
       [](const fs::path& d) { fs::create_directories(d / "r" / "results.csv"); }},
      {"out_read_only_folder", "`--out` in a read-only folder (as user nobody)", "rejected before measuring", 4,
       "cannot create a file in", std::string(tiny_run) + " --out {dir}/ro",
       [](const fs::path& d) {
         fs::create_directories(d / "ro");
         fs::permissions(d / "ro", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                       fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
       },
       nullptr, true},
      {"out_full_disk", "`--out` on a full disk (64 KiB tmpfs with one free page)",
       "fails naming the file, nothing partial left", 4, "No space left on device",
       "unshare {userns}-m sh -c 'mount -t tmpfs -o size=64k parbench-full {dir}/full && "
       "head -c 61440 /dev/zero > {dir}/full/filler && "
       "{bin} run -b serial -w 1 -n 1e5 -r 2 --no-overhead --no-break-even -q --out {dir}/full/r; "
       "rc=$?; echo \"left in the report folder: [$(ls -A {dir}/full/r)]\"; exit $rc'",
       [](const fs::path& d) { fs::create_directories(d / "full"); },
       [](const fs::path&, const outcome& r) { EXPECT_THAT(r.output, HasSubstr("left in the report folder: []")); }},
      {"out_name_too_long", "`--out` with a 300-character name", "rejected before measuring", 4, "File name too long",
       std::string(tiny_run) + " --out {dir}/" + std::string(300, 'x')},
      {"out_lock_is_a_symlink", "the report folder's lock file is a planted symbolic link",
       "refused: nothing written through it, the link left as it is", 4, "is a symbolic link",
       std::string(tiny_run) + " --out {dir}/r",
       [](const fs::path& d) { plant_link(d / "victim", d / "r" / ".parbench.lock"); },
       [](const fs::path& d, const outcome&) { link_untouched(d / "victim", d / "r" / ".parbench.lock"); }},
      {"out_lock_is_a_fifo", "the report folder's lock file is a FIFO", "refused at once, no hang", 4,
       "is not a regular file", std::string(tiny_run) + " --out {dir}/r",
       [](const fs::path& d) {
         fs::create_directories(d / "r");
         ::mkfifo((d / "r" / ".parbench.lock").c_str(), 0644);
       }},
      {"out_report_file_is_a_symlink", "`--out` folder where results.csv is a symbolic link",
       "rejected before measuring, the link's target intact", 4, "is a symbolic link",
       std::string(tiny_run) + " --out {dir}/r",
       [](const fs::path& d) { plant_link(d / "victim", d / "r" / "results.csv"); },
       [](const fs::path& d, const outcome&) { link_untouched(d / "victim", d / "r" / "results.csv"); }},
      {"out_default_never_reused", "default `--out` when reports/<timestamp> is taken (as by a run in the same second)",
       "a new folder with a suffix, made by mkdir, printed", 0, "report: reports/",
       "sh -c 'cd {dir} && exec {bin} run -b serial -w 1 -n 1e5 -r 2 --no-overhead --no-break-even -q'",
       occupy_default_report_names, one_new_default_report},
      {"plots_folder_is_a_symlink", "`plot` where the report's plots/ is a symbolic link", "refused, nothing drawn", 4,
       "is a symbolic link", "{bin} plot {dir}/r",
       [](const fs::path& d) {
         fs::create_directories(d / "elsewhere");
         fs::create_directories(d / "r");
         fs::create_directory_symlink(d / "elsewhere", d / "r" / "plots");
       },
       [](const fs::path& d, const outcome&) { EXPECT_TRUE(listing(d / "elsewhere").empty()); }},
      {"markdown_is_a_symlink", "`compare --markdown` at a symbolic link", "refused, the link's target intact", 4,
       "is a symbolic link", "{bin} compare {dir}/base {dir}/cur --markdown {dir}/summary.md",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         plant_link(d / "victim", d / "summary.md");
       },
       [](const fs::path& d, const outcome&) { link_untouched(d / "victim", d / "summary.md"); }},
      {"markdown_is_an_input", "`compare --markdown` at the baseline's own results.csv",
       "refused before comparing (any name of the same file), the input intact", 2, "would destroy the report",
       "{bin} compare {dir}/base {dir}/cur --markdown {dir}/base/results.csv",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         write(d / "results_before", slurp(d / "base" / "results.csv"));
       },
       [](const fs::path& d, const outcome&) {
         EXPECT_EQ(slurp(d / "base" / "results.csv"), slurp(d / "results_before"));
       }},
      {"markdown_to_stdout", "`compare --markdown -`", "the markdown goes to standard output, no file named `-`", 0,
       "## parbench compare", "sh -c 'cd {dir} && exec {bin} compare base cur --threshold 99 --markdown -'",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
       },
       [](const fs::path& d, const outcome&) { EXPECT_FALSE(fs::exists(fs::symlink_status(d / "-"))); }},
      {"markdown_to_stdout_escaped",
       "`compare --markdown -` with report cells holding a newline, `::error::`, an escape, HTML, a link, an @mention",
       "escaped as in the file: no line of its own, no escape byte, no tag, link or mention", 0, "&lt;img",
       "{bin} compare {dir}/base {dir}/cur --threshold 99 --markdown -",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         for (const char* r : {"base", "cur"}) {
           const fs::path csv = d / r / "results.csv";
           write(csv, replace_all(slurp(csv), ",threads,",
                                  ",\"::error::x\n\x1b[31mred <img src=x> [l](http://x) @octocat\","));
         }
       },
       markdown_safe},
      // plot reads reports as compare does: the same refusals, exit 2, file:line:column.
      {"plot_metadata_schema_unknown", "`plot` of a report whose metadata.json has schema_version 99",
       "rejected with file:line:column, as compare rejects it (it plotted)", 2, "unknown schema_version 99",
       "{bin} plot {dir}/r",
       plot_input([](const fs::path& r) {
         auto meta = nlohmann::json::parse(slurp(r / "metadata.json"));
         meta["schema_version"] = 99;
         write(r / "metadata.json", meta.dump(2));
       }),
       [](const fs::path&, const outcome& r) {
         EXPECT_THAT(r.output, ::testing::ContainsRegex("metadata\\.json:[0-9]+:[0-9]+: unknown schema_version 99"));
       },
       false, {}, 0,
       "", 2, false, true},
      {"plot_nan_throughput", "`plot` of a report with a NaN items_per_s", "rejected with file:line:column (it plotted)",
       2, "results.csv:2:", "{bin} plot {dir}/r",
       plot_input([](const fs::path& r) { set_cell(r / "results.csv", 1, "items_per_s", "nan"); }),
       [](const fs::path&, const outcome& r) { EXPECT_THAT(r.output, HasSubstr("items_per_s is NaN")); }, false, {}, 0,
       "", 2, false, true},
      {"plot_negative_throughput", "`plot` of a report with items_per_s -5",
       "rejected with file:line:column (it plotted)", 2, "results.csv:2:", "{bin} plot {dir}/r",
       plot_input([](const fs::path& r) { set_cell(r / "results.csv", 1, "items_per_s", "-5"); }),
       [](const fs::path&, const outcome& r) { EXPECT_THAT(r.output, HasSubstr("'-5' is not positive")); }, false, {},
       0, "", 2, false, true},
      {"plot_header_only", "`plot` of a results.csv with a header and no rows", "rejected (it plotted empty axes)", 2,
       "results.csv:2:1: no data rows after the header", "{bin} plot {dir}/r",
       plot_input([](const fs::path& r) {
         const std::string t = slurp(r / "results.csv");
         write(r / "results.csv", t.substr(0, t.find('\n') + 1));
       }),
       nullptr, false, {}, 0, "", 2, false, true},
      {"plot_not_utf8", "`plot` of a results.csv with a byte that is not UTF-8",
       "rejected with file:line:column (exit 4 and a traceback)", 2, "results.csv:2:", "{bin} plot {dir}/r",
       plot_input([](const fs::path& r) { set_cell(r / "results.csv", 1, "params", "rng=\xff"); }),
       [](const fs::path&, const outcome& r) {
         EXPECT_THAT(r.output, HasSubstr("not UTF-8 text (byte 0xff)"));
         EXPECT_EQ(r.output.find("Traceback"), std::string::npos) << r.output;
       },
       false, {}, 0, "", 2, false, true},
      // Text in reports.
      {"labels_special_characters", "suite name with commas, quotes, a newline and a leading `=`",
       "run succeeds; the name round-trips through metadata.json", 0,
       "report:", std::string(tiny_run) + " --suite {dir}/s.json --out {dir}/r",
       [](const fs::path& d) { write(d / "s.json", R"({"name": "=cmd|' /C calc'!A0, \"quoted\"\nsecond line"})"); },
       [](const fs::path& d, const outcome&) {
         const auto meta = nlohmann::json::parse(slurp(d / "r" / "metadata.json"));
         EXPECT_EQ(meta["suite"]["name"], "=cmd|' /C calc'!A0, \"quoted\"\nsecond line");
         EXPECT_NO_THROW(parbench::reports::read_results((d / "r" / "results.csv").string()));
       }},
      {"suite_name_with_escapes", "suite name with a newline, `::error::` and a terminal escape",
       "printed escaped on its line: no line of its own, no escape byte", 0, "suite '\\x3a:error::x\\n\\x1b[31mred'",
       "{bin} run --list --suite {dir}/s.json",
       [](const fs::path& d) { write(d / "s.json", R"({"name": "::error::x\n\u001b[31mred"})"); },
       console_safe},
      {"report_values_with_escapes", "report cells with a newline, `::error::` and a terminal escape (compare)",
       "printed escaped on their lines", 0, "\\x3a:error::x\\n\\x1b[31mred",
       "{bin} compare {dir}/base {dir}/cur --threshold 99",
       [](const fs::path& d) {
         tiny_report(d, "base");
         tiny_report(d, "cur");
         for (const char* r : {"base", "cur"}) {
           const fs::path csv = d / r / "results.csv";
           write(csv, replace_all(slurp(csv), ",threads,", ",\"::error::x\n\x1b[31mred\","));
         }
       },
       console_safe},
      // Output streams.
      {"stdout_to_a_file", "stdout redirected to a file, process backends",
       "every line once (no stdio buffer copied "
       "into forked workers)",
       0, "", "{bin} pi --backend fork,spawn,forkserver --workers 3 --samples 1000003 > {dir}/out.txt", nullptr,
       [](const fs::path& d, const outcome&) {
         std::stringstream in(slurp(d / "out.txt"));
         std::map<std::string, int> seen;
         int lines = 0;
         for (std::string line; std::getline(in, line); ++lines) EXPECT_EQ(++seen[line], 1) << "duplicated: " << line;
         EXPECT_EQ(lines, 6) << "kernel line, header, three backends, agreement line";
       }},
      {"stdout_full", "stdout is `/dev/full`", "fails instead of losing the output silently", 4,
       "cannot write to standard output", "{bin} list > /dev/full"},
      {"stdout_closed", "stdout closed (`parbench list >&-`)",
       "fails: fd 1 is /dev/null from the start (never a socket or report file opened later)", 4,
       "cannot write to standard output: it was closed", "{bin} list >&-"},
      {"stdout_closed_process_backends", "stdout closed while forkserver workers run",
       "fails with exit 4; the results were written into the forkserver's socket (reused fd 1) before", 4,
       "cannot write to standard output", "{bin} pi -b forkserver,spawn -w 2 -n 1e5 >&-"},
      // Resource limits. RLIMIT_NPROC counts threads and binds only a user without privileges.
      {"openmp_threads_unstartable",
       "`pi -b openmp -w 64` under `ulimit -u 20` (as user nobody)",
       "fails naming the backend, the worker count and the limits (libgomp ended the process with 1)",
       3,
       "openmp: could not start worker",
       "bash -c 'ulimit -u 20 && exec {bin} pi -b openmp -w 64 -n 1e6'",
       nullptr,
       [](const fs::path&, const outcome& r) { EXPECT_THAT(r.output, HasSubstr("of 64: Resource temporarily unavailable; limits: processes and threads 20 (ulimit -u)")); },
       true,
       {},
       0,
       "openmp"},
      {"threads_unstartable", "`pi -b threads -w 64 --kernel stepped` under `ulimit -u 20` (as user nobody)",
       "fails naming the backend, the worker count and the limits", 3, "threads: could not start worker",
       "bash -c 'ulimit -u 20 && exec {bin} pi -b threads -w 64 --kernel stepped -n 1e6'", nullptr,
       [](const fs::path&, const outcome& r) { EXPECT_THAT(r.output, HasSubstr("limits: processes and threads 20 (ulimit -u)")); },
       true},
      {"fork_workers_unstartable", "`pi -b fork -w 64` under `ulimit -u 12` (as user nobody)",
       "fails naming the backend, the worker count and the limits; the workers started are stopped", 3,
       "fork: could not start worker", "bash -c 'ulimit -u 12 && exec {bin} pi -b fork -w 64 -n 1e6'", nullptr,
       [](const fs::path&, const outcome& r) {
         EXPECT_THAT(r.output, HasSubstr("of 64: fork() failed: Resource temporarily unavailable; limits: processes and threads 12 (ulimit -u)"));
       },
       true},
      {"tbb_threads_unstartable", "`pi -b tbb -w 8` under `ulimit -u 4` (as user nobody)",
       "fails naming the backend, the worker count and the limits (oneTBB aborted the process, exit 134)", 3,
       "tbb: could not start worker", "bash -c 'ulimit -u 4 && exec {bin} pi -b tbb -w 8 -n 1e6'", nullptr,
       [](const fs::path&, const outcome& r) {
         EXPECT_THAT(r.output, HasSubstr("of 8: Resource temporarily unavailable; limits: processes and threads 4 (ulimit -u)"));
       },
       true, {}, 0, "tbb"},
      {"stdpar_threads_unstartable", "`pi -b stdpar -w 8` under `ulimit -u 4` (as user nobody)",
       "fails naming the backend, the worker count and the limits (oneTBB aborted the process, exit 134)", 3,
       "stdpar: could not start worker", "bash -c 'ulimit -u 4 && exec {bin} pi -b stdpar -w 8 -n 1e6'", nullptr,
       [](const fs::path&, const outcome& r) {
         EXPECT_THAT(r.output, HasSubstr("of 8: Resource temporarily unavailable; limits: processes and threads 4 (ulimit -u)"));
       },
       true, {}, 0, "stdpar"},
      {"tbb_threads_unstartable_in_run", "`run -b tbb -w 8` under `ulimit -u 4` (as user nobody)",
       "the tbb rows recorded as failed with the reason, the others measured, the report written, no lock file", 3,
       "failed their self-check or crashed",
       "bash -c 'ulimit -u 4 && exec {bin} run -b tbb -w 8 -n 1e5 -r 2 --no-overhead --no-break-even -q --out {dir}/r'",
       nobody_out, failed_rows("tbb", "tbb: could not start worker"), true, {}, 0, "tbb"},
      {"plot_out_of_descriptors", "`plot` under `ulimit -n 8`",
       "says that descriptors ran out and which limit to raise (it said no Python could import matplotlib)", 3,
       "raise `ulimit -n`", "bash -c 'ulimit -n 8 && exec {bin} plot {dir}/r'",
       [](const fs::path& d) { tiny_report(d, "r"); }, one_error_line},
      // Time limits.
      {"worker_hangs",
       "a fork worker hangs (`PARBENCH_FAULT`), `--timeout 1`",
       "worker killed after 1 s, run recorded as failed with the reason, the harness goes on",
       3,
       "failed their self-check or crashed",
       "{bin} run -b fork -w 2 -n 1e5 -r 2 --timeout 1 --no-overhead --no-break-even -q --out {dir}/r",
       nullptr,
       [](const fs::path& d, const outcome& r) {
         EXPECT_LT(r.seconds, 60);
         const auto rows = parbench::reports::read_results((d / "r" / "results.csv").string());
         int failed = 0, serial_ok = 0;
         for (const auto& row : rows) {
           if (row.row_type != "raw") continue;
           if (row.status == "failed") {
             ++failed;
             EXPECT_THAT(row.error, HasSubstr("did not answer within the timeout of 1 s"));
           }
           if (row.backend == "serial" && row.status == "ok") ++serial_ok;
         }
         EXPECT_EQ(failed, 2) << "both fork repetitions at W=2";
         EXPECT_EQ(serial_ok, 2) << "the other configurations were still measured";
       },
       false,
       {"PARBENCH_FAULT=fork:1:hang"}},
      {"run_timeout", "the whole run exceeds `--run-timeout 1`", "stopped: workers killed, no report written", 3,
       "--run-timeout",
       "{bin} run -b serial -n 1e12 -r 1 --run-timeout 1 --no-overhead --no-break-even -q --out {dir}/r", nullptr,
       [](const fs::path& d, const outcome& r) {
         EXPECT_LT(r.seconds, 30);
         EXPECT_FALSE(fs::exists(d / "r")) << "the folder this run created is removed again";
       }},
      {"fork_1024_workers_timeout", "`pi -b fork -w 1024 -n 1e13 --timeout 2` on 2 cores",
       "stopped in seconds (it ran for minutes): the timeout bounds start-up and run, workers killed and reaped", 3,
       "within the timeout of 2 s", "{bin} pi -b fork -w 1024 -n 1e13 --timeout 2", nullptr, ends_within(15)},
      {"spawn_1024_workers_timeout", "`pi -b spawn -w 1024 -n 1e13 --timeout 2` on 2 cores",
       "stopped in seconds (it ran for minutes): the timeout bounds start-up and run, workers killed and reaped", 3,
       "within the timeout of 2 s", "{bin} pi -b spawn -w 1024 -n 1e13 --timeout 2", nullptr, ends_within(15)},
      {"forkserver_killed_mid_measurement",
       "the forkserver killed (SIGKILL) while its workers compute `pi`",
       "the run fails naming the server's end (it was restarted, the row `ok` with the inflated time)",
       3,
       "the server ended during the run",
       "{bin} pi -b forkserver -w 2 -n 1e13 --timeout 60",
       nullptr,
       nullptr,
       false,
       {},
       SIGKILL,
       "",
       2,
       true},
      {"forkserver_killed_during_run",
       "the forkserver killed (SIGKILL) during a measurement under `run`",
       "that row recorded as failed with the reason, the server restarted for the next, the report written",
       3,
       "failed their self-check or crashed",
       // {busy_samples} keeps the workers busy for over a second (see its expansion below).
       "{bin} run -b forkserver -w 2 -n 2e6,{busy_samples} -r 1 --no-overhead --no-break-even -q --out {dir}/r",
       nullptr,
       failed_rows("forkserver", "the server ended during the run"),
       false,
       {},
       SIGKILL,
       "",
       2,
       true},
      // Interrupts and concurrent runs.
      {"sigint_during_run",
       "SIGINT (Ctrl-C) while fork workers run",
       "workers killed, no temporary or lock file, the previous report intact",
       130,
       "interrupted by SIGINT",
       std::string(long_run) + " --out {dir}/r",
       previous_report,
       previous_report_intact,
       false,
       {},
       SIGINT},
      {"sigterm_during_run",
       "SIGTERM while fork workers run",
       "workers killed, no temporary or lock file, the previous report intact",
       143,
       "interrupted by SIGTERM",
       std::string(long_run) + " --out {dir}/r",
       previous_report,
       previous_report_intact,
       false,
       {},
       SIGTERM},
      {"sigint_during_triad",
       "SIGINT while fork workers stream through triad's shared arrays",
       "workers killed, no shared-memory object left (its memfd has no name), the previous report intact",
       130,
       "interrupted by SIGINT",
       "{bin} run -b fork -w 2 --kernel triad --param passes=200 -n 2e6 -r 50 --no-overhead --no-break-even "
       "-q --out {dir}/r",
       [](const fs::path& d) {
         previous_report(d);
         write(d / "shm_before", std::to_string(parbench_shm_entries()));
       },
       [](const fs::path& d, const outcome& r) {
         previous_report_intact(d, r);
         EXPECT_EQ(std::to_string(parbench_shm_entries()), slurp(d / "shm_before")) << "nothing new in /dev/shm";
       },
       false,
       {},
       SIGINT},
      {"sigterm_during_triad",
       "SIGTERM while spawn workers stream through triad's shared arrays",
       "workers killed, no shared-memory object left (its memfd has no name), the previous report intact",
       143,
       "interrupted by SIGTERM",
       "{bin} run -b spawn -w 2 --kernel triad --param passes=200 -n 2e6 -r 50 --no-overhead --no-break-even -q "
       "--out {dir}/r",
       [](const fs::path& d) {
         previous_report(d);
         write(d / "shm_before", std::to_string(parbench_shm_entries()));
       },
       [](const fs::path& d, const outcome& r) {
         previous_report_intact(d, r);
         EXPECT_EQ(std::to_string(parbench_shm_entries()), slurp(d / "shm_before")) << "nothing new in /dev/shm";
       },
       false,
       {},
       SIGTERM},
      {"sigterm_1024_fork_workers_starting",
       "SIGTERM while `pi -b fork -w 1024` starts its workers",
       "every process gone within seconds (it took 64 s), none left",
       143,
       "interrupted by SIGTERM",
       "{bin} pi -b fork -w 1024 -n 1e13",
       nullptr,
       ends_within_after_signal(5),
       false,
       {},
       SIGTERM},
      {"sigint_1024_spawn_workers_running",
       "SIGINT once `pi -b spawn -w 1024` runs all its workers",
       "every process gone within seconds, none left",
       130,
       "interrupted by SIGINT",
       "{bin} pi -b spawn -w 1024 -n 1e13",
       nullptr,
       ends_within_after_signal(5),
       false,
       {},
       SIGINT,
       "",
       1025},
      // The watcher thread competes with 1024 busy threads for 2 cores: it kills the children
      // of the threads that made any, not of every thread (core/signals.cpp).
      {"sigterm_1024_busy_threads",
       "SIGTERM once `pi -b threads -w 1024` runs all its threads",
       "parbench gone within 1.5 s (it took 4 to 19 s)",
       143,
       "interrupted by SIGTERM",
       "{bin} pi -b threads -w 1024 -n 1e13",
       nullptr,
       ends_within_after_signal(1.5),
       false,
       {},
       SIGTERM,
       "",
       0,
       false,
       false,
       1025},
      {"sigterm_1024_busy_openmp_threads",
       "SIGTERM once `pi -b openmp -w 1024` runs all its threads",
       "parbench gone within 1.5 s (it took 5 s and more)",
       143,
       "interrupted by SIGTERM",
       "{bin} pi -b openmp -w 1024 -n 1e13",
       nullptr,
       ends_within_after_signal(1.5),
       false,
       {},
       SIGTERM,
       "openmp",
       0,
       false,
       false,
       1025},
      {"second_run_same_out", "a second `run` into the folder of a running one", "the second fails at once", 4,
       "is in use by another parbench run", std::string(tiny_run) + " --out {dir}/r"},
  };
  return c;
}

std::string display_name(const ::testing::TestParamInfo<catalogue_case>& info) { return info.param.name; }

class catalogue_test : public ::testing::TestWithParam<catalogue_case> {};

// Runs one case. Orphaned grandchildren are re-parented to this process (a subreaper), so a
// worker that outlives parbench is caught.
TEST_P(catalogue_test, exits_with_the_documented_code_and_message) {
  const catalogue_case& c = GetParam();
  scratch dir;
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string command = c.command;
  if (command.find("{unbuilt}") != std::string::npos) {
    const std::string name = unbuilt_backend();
    if (name.empty()) GTEST_SKIP() << "every backend parbench knows is built here";
    command = replace_all(command, "{unbuilt}", name);
  }
  if (!c.backend.empty()) {
    const auto& built = parbench::registered_backends();
    if (std::none_of(built.begin(), built.end(), [&](const auto& e) { return e.name == c.backend; }))
      GTEST_SKIP() << "backend " << c.backend << " is not in this build";
  }
  command = replace_all(command, "{userns}", ::geteuid() == 0 ? "" : "-Ur ");
  // Enough samples that the workers outlive the 300 ms a busy worker is waited for: 1e9 took
  // 0.29 s at W = 2 on a fast core; under the sanitizers the kernel is several times slower and
  // 4e9 would spend a minute in the serial row first.
  command = replace_all(command, "{busy_samples}", under_address_sanitizer ? "1e9" : "4e9");
  if (under_address_sanitizer && measured_in_the_release_build_only.contains(c.name))
    GTEST_SKIP() << "the sanitizer runtime changes what this case measures; the release test step runs it";
  if (c.setup) c.setup(dir.path());
  // Children this process had before (a forkserver of an in-process test) are not the case's.
  const std::vector<pid_t> earlier = children_of(::getpid());
  const std::set<pid_t> before(earlier.begin(), earlier.end());

  // A concurrent run holding the lock on the same folder.
  std::unique_ptr<running> holder;
  if (c.name == "second_run_same_out") {
    holder = std::make_unique<running>(launch{expand(std::string(long_run) + " --out {dir}/r", dir.path())});
    ASSERT_TRUE(wait_until([&] { return fs::exists(dir.path() / "r" / ".parbench.lock"); }, 60s));
  }

  if (c.needs_matplotlib && run_now("/usr/bin/python3 -c 'import matplotlib'", dir.path()).exit_code != 0)
    GTEST_SKIP() << "no /usr/bin/python3 with matplotlib (scripts/setup installs it)";

  // `ulimit -u` counts every process and thread of the user, so two cases run as nobody at
  // once (ctest -j2) would eat each other's limit: they take turns.
  const std::unique_ptr<FILE, int (*)(FILE*)> nobody_turn(
      c.as_nobody ? std::fopen("/tmp/parbench-test-as-nobody.lock", "a") : nullptr, &std::fclose);
  if (nobody_turn) {
    ASSERT_EQ(::flock(::fileno(nobody_turn.get()), LOCK_EX), 0);
  }
  running child({expand(command, dir.path()), c.env, c.as_nobody});
  std::chrono::steady_clock::time_point signalled;
  if (c.signal != 0) {
    pid_t target = child.pid();
    if (c.signal_forkserver) {
      // The forkserver is the child of parbench with children of its own: its workers. Only a
      // worker that has computed for 300 ms counts, so that a short run (run's untimed warm-up
      // at a small size) is not the one hit.
      std::map<pid_t, std::chrono::steady_clock::time_point> first_seen;
      const bool busy = wait_until(
          [&] {
            const auto now = std::chrono::steady_clock::now();
            for (const pid_t p : children_of(child.pid()))
              for (const pid_t w : children_of(p))
                if (now - first_seen.emplace(w, now).first->second >= 300ms) target = p;
            return target != child.pid();
          },
          120s);
      EXPECT_TRUE(busy) << "no forkserver workers appeared";
    } else {
      // Interrupt once workers run (children besides the forkserver, or worker threads).
      const bool busy = wait_until(
          [&] {
            return children_of(child.pid()).size() >= c.signal_at &&
                   (c.signal_at_threads == 0 ||
                    (threads_of(child.pid()) >= c.signal_at_threads && cpu_seconds_of(child.pid()) >= 2.0));
          },
          120s);
      EXPECT_TRUE(busy) << "no workers appeared";
    }
    ::kill(target, c.signal);
    signalled = std::chrono::steady_clock::now();
  }
  outcome r = child.wait();
  if (c.signal != 0)
    r.seconds_after_signal = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  if (holder) {
    ::kill(holder->pid(), SIGTERM);
    const outcome h = holder->wait();
    EXPECT_EQ(h.exit_code, 143) << h.output;
    EXPECT_FALSE(fs::exists(dir.path() / "r" / ".parbench.lock"));
  }

  EXPECT_EQ(r.exit_code, c.exit_code) << command << "\n" << r.output;
  EXPECT_THAT(r.output, HasSubstr(c.message)) << command;
  if (c.check) c.check(dir.path(), r);

  // No worker may outlive the run: reap every orphan that came to us, quickly.
  const bool all_gone = wait_until(
      [&] {
        for (const pid_t orphan : children_of(::getpid()))
          if (before.count(orphan) == 0 && ::waitpid(orphan, nullptr, WNOHANG) == 0) return false;
        return true;
      },
      10s);
  EXPECT_TRUE(all_gone) << "a child process of parbench was still running";
}

INSTANTIATE_TEST_SUITE_P(reliability, catalogue_test, ::testing::ValuesIn(catalogue()), display_name);

// ---------------------------------------------------------------------------------------
// Beyond the table.

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// 100 runs of every backend in one process leave no file descriptor and no child behind.
TEST(reliability, hundred_runs_leak_no_descriptor_or_child) {
  // Every kernel: a small job of each (a few chunks), with its default schedule and, where the
  // backend offers more, its last one.
  for (const auto& entry : parbench::registered_backends()) {
    auto b = entry.make();
    // mpi needs mpirun; a backend that is not usable here (no GPU) has nothing to leak.
    if (!b->probe().usable || entry.name == "mpi") continue;
    const auto abilities = b->abilities();
    for (const auto& k : parbench::registered_kernels()) {
      if (!parbench::supports_kernel(abilities, k->name())) continue;
      parbench::param_values params;
      for (const auto& p : k->params())
        if (p.name == "rng") params.emplace_back("rng", "light");
      const auto job = parbench::make_job(k->name(), 200003, 5, params);
      std::vector<parbench::schedule> schedules = {{}};
      if (abilities.schedules.size() > 1) schedules.push_back({abilities.schedules.back().name, 0});
      for (const auto& sched : schedules) {
        parbench::run_request req;
        req.job = job;
        req.workers = 2;
        req.schedule = sched;
        req.timeout = std::chrono::seconds(60);
        const auto expected = parbench::compute(*job, {0, job->chunk_count()});
        EXPECT_EQ(b->run(req).result, expected) << entry.name;  // lazily created pools and servers exist from here on
        const int before = open_fds();
        for (int i = 0; i < 100; ++i) b->run(req);
        EXPECT_EQ(open_fds(), before) << entry.name << " " << k->name() << " " << sched.name;
        errno = 0;
        EXPECT_LE(::waitpid(-1, nullptr, WNOHANG), 0) << entry.name << ": an unreaped child";
      }
    }
  }
}

// docs/reliability.md's catalogue table lists exactly the cases above, in order.
TEST(reliability, doc_table_matches_the_test_table) {
  const std::string doc = slurp(fs::path(PARBENCH_SOURCE_DIR) / "docs" / "reliability.md");
  const auto begin = doc.find("<!-- catalogue:begin -->");
  const auto end = doc.find("<!-- catalogue:end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::vector<std::string> rows;
  std::stringstream in(doc.substr(begin, end - begin));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("| ", 0) == 0 && line.find("| case |") != 0) rows.push_back(line);

  std::vector<std::string> expected;
  for (const auto& c : catalogue())
    expected.push_back(fmt::format("| {} | {} | {} | `{}` |", c.what, c.behaviour, c.exit_code, c.name));
  expected.emplace_back(
      "| 100 runs of every backend in one process | no file descriptor or child left | - | "
      "`hundred_runs_leak_no_descriptor_or_child` |");
  std::string table = "| case | behaviour | exit code | test |\n|------|-----------|-----------|------|\n";
  for (const auto& e : expected) table += e + "\n";
  EXPECT_EQ(rows, expected) << "docs/reliability.md is out of date; its table should read:\n" << table;
}

}  // namespace
