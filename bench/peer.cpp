#include "bench/peer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

#include "core/console_text.hpp"
#include "core/errors.hpp"
#include "core/subprocess.hpp"
#include "kernels/montecarlo/sampler.hpp"

namespace parbench::bench {
namespace {

constexpr std::array<std::string_view, 2> variants = {"pure", "numpy"};
constexpr std::array<std::string_view, 3> start_methods = {"fork", "spawn", "forkserver"};

peer_spec make_spec(std::string_view variant, std::string_view method) {
  return {fmt::format("python-{}-{}", variant, method), std::string(variant), std::string(method)};
}

std::string peer_choices() {
  std::string list = "python, python-all";
  for (auto v : variants)
    for (auto m : start_methods) list += ", " + make_spec(v, m).name;
  return list;
}

subprocess::companion peer_script() {
  return {"the Python peer mp_pi.py",
          "PARBENCH_PEER_SCRIPT",
          {"mp_pi.py", "../share/parbench/peers/python/mp_pi.py"},
          "peers/python/mp_pi.py",
          PARBENCH_PEER_SCRIPT_SOURCE};
}

result_row base_row(const peer_spec& peer, const suite& s, unsigned workers, std::uint64_t samples, unsigned rep) {
  result_row r;
  r.kernel_version = kernels::kernel_version;
  // The protocol's rng; the peer draws from its own generator (docs/peers.md). Peers run pi.
  r.kernel = "pi";
  r.params = "rng=" + s.rng;
  r.schedule = "pool";
  r.backend = peer.name;
  r.kind = "peer";
  r.scaling = s.scaling;
  r.workers = workers;
  r.ranks = 1;
  r.threads_per_rank = workers;
  r.size = samples;
  r.items = samples;
  r.seed = s.seed;
  r.row_type = "raw";
  r.repetition = rep;
  return r;
}

// The last non-empty line of the peer's stderr (its error message), without its prefix, made
// safe for a console line (core/console_text.hpp): the script's stderr is not parbench's text.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto pos = text.rfind('\n');
  std::string_view line = pos == std::string_view::npos ? text : text.substr(pos + 1);
  constexpr std::string_view prefix = "mp_pi.py: error: ";
  if (line.substr(0, prefix.size()) == prefix) line.remove_prefix(prefix.size());
  return console_text(line.substr(0, 500));
}

}  // namespace

std::vector<peer_spec> parse_peer_list(std::string_view text) {
  std::vector<peer_spec> out;
  std::set<std::string> seen;
  // A peer named twice (python,python or python,python-pure-fork) is a mistake, as in --backend.
  auto add = [&](peer_spec p) {
    if (!seen.insert(p.name).second)
      throw usage_error(fmt::format("--peer '{}' names peer {} twice; list each once", text, p.name));
    out.push_back(std::move(p));
  };
  std::size_t start = 0;
  while (true) {
    const auto pos = text.find(',', start);
    const std::string_view item = text.substr(start, pos == std::string_view::npos ? pos : pos - start);
    if (item == "python") {
      add(make_spec("pure", "fork"));
      add(make_spec("numpy", "fork"));
    } else if (item == "python-all") {
      for (auto v : variants)
        for (auto m : start_methods) add(make_spec(v, m));
    } else {
      bool found = false;
      for (auto v : variants)
        for (auto m : start_methods)
          if (!found && item == make_spec(v, m).name) {
            add(make_spec(v, m));
            found = true;
          }
      if (!found)
        throw usage_error(fmt::format("unknown peer '{}' in --peer '{}'; choose from: {}", item, text, peer_choices()));
    }
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

peer_environment find_peer_environment() {
  peer_environment env;
  const subprocess::located script = subprocess::find_companion(peer_script());
  if (script.path.empty()) throw usage_error(script.problem);
  env.script = script.path;
  const auto probe =
      subprocess::find_python("import platform, numpy; print(platform.python_version(), numpy.__version__)");
  if (!probe)
    throw usage_error(
        fmt::format("--peer needs a Python that can import numpy (tried {}): install the Debian package python3-numpy "
                    "(apt-get install python3-numpy), or point $PYTHON at an interpreter that has numpy",
                    subprocess::python_candidates()));
  env.python = probe->python;
  const auto space = probe->out.find(' ');
  env.python_version = probe->out.substr(0, space);
  if (space != std::string::npos) env.numpy_version = last_line(probe->out.substr(space + 1));
  return env;
}

std::string describe_peers(const std::vector<peer_spec>& peers, const peer_environment& env) {
  std::string names;
  for (const auto& p : peers) names += (names.empty() ? "" : ", ") + p.name;
  return fmt::format("peers: {} (Python {} with numpy {}: {} {})\n", names, env.python_version, env.numpy_version,
                     env.python.string(), env.script.string());
}

nlohmann::json to_json(const std::vector<peer_spec>& peers, const peer_environment& env) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& p : peers) names.push_back(p.name);
  return {{"names", names},
          {"python", env.python.string()},
          {"python_version", env.python_version},
          {"numpy_version", env.numpy_version},
          {"script", env.script.string()}};
}

std::vector<result_row> without_peers(const std::vector<result_row>& rows) {
  std::vector<result_row> out;
  std::copy_if(rows.begin(), rows.end(), std::back_inserter(out), [](const result_row& r) { return r.kind != "peer"; });
  return out;
}

namespace detail {

std::vector<result_row> peer_rows(const peer_spec& peer, const suite& s, unsigned workers, std::uint64_t samples,
                                  std::string_view out, int exit_code, std::string_view err) {
  std::vector<result_row> rows;
  std::size_t start = 0;
  while (start < out.size() && rows.size() < s.repetitions) {
    auto end = out.find('\n', start);
    if (end == std::string_view::npos) end = out.size();
    const std::string_view line = out.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    result_row r = base_row(peer, s, workers, samples, static_cast<unsigned>(rows.size()));
    r.status = "failed";
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("hits") || !j.contains("wall_s") ||
        !j["hits"].is_number_unsigned() || !j["wall_s"].is_number()) {
      r.error = fmt::format("the peer printed a line that is not a result: {}", console_text(line.substr(0, 200)));
    } else if (j.value("samples", std::uint64_t{0}) != samples || j.value("workers", 0u) != workers) {
      r.error = fmt::format("the peer answered for a different run: {}", console_text(line.substr(0, 200)));
    } else {
      const auto hits = j["hits"].get<std::uint64_t>();
      const kernels::pi_check check = kernels::check_estimate(hits, samples);
      r.result = std::to_string(hits);
      if (!check.ok) {
        r.error = fmt::format("self-check failed: estimate {} is {:.1f} sigma from pi", check.estimate,
                              check.error / check.sigma);
      } else {
        r.status = "ok";
        r.wall_s = j["wall_s"].get<double>();
        if (j.contains("cpu_s") && j["cpu_s"].is_number()) r.cpu_s = j["cpu_s"].get<double>();
        r.items_per_s = static_cast<double>(samples) / *r.wall_s;
        r.items_per_s_per_worker = *r.items_per_s / workers;
      }
    }
    rows.push_back(std::move(r));
  }
  const std::string why = exit_code == 0
                              ? fmt::format("the peer exited after {} of {} repetitions", rows.size(), s.repetitions)
                              : fmt::format("the peer failed (exit {}): {}", exit_code,
                                            last_line(err).empty() ? std::string("no message") : last_line(err));
  while (rows.size() < s.repetitions) {
    result_row r = base_row(peer, s, workers, samples, static_cast<unsigned>(rows.size()));
    r.status = "failed";
    r.error = why;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace detail

std::vector<result_row> run_peers(const std::vector<peer_spec>& peers, const peer_environment& env, const suite& s,
                                  const std::vector<unsigned>& workers, progress& prog) {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  struct config {
    const peer_spec* peer;
    unsigned workers;
    std::uint64_t samples;
    double weight;
  };
  std::vector<config> configs;
  double total = 0;
  for (const auto& p : peers)
    for (const unsigned w : workers)
      for (const std::uint64_t n : s.samples) {
        const std::uint64_t samples = s.scaling == "weak" ? n * w : n;
        // Progress weights in the harness's unit (C++ samples); Python is ~100x slower.
        const double per_run =
            static_cast<double>(samples) * (p.variant == "pure" ? 250.0 : 10.0) / std::min(w, cpus) + 5e7 * w;
        configs.push_back({&p, w, samples, per_run * (s.repetitions + 1)});
        total += configs.back().weight;
      }
  prog.phase("reference peers", configs.size(), total);
  // The peer's own --timeout ends a hung repetition; this outer limit only guards against
  // a peer that ignores it.
  const auto limit =
      std::chrono::seconds((static_cast<long long>(std::ceil(s.timeout_s)) + 30) * (s.repetitions + 1) + 60);
  std::vector<result_row> rows;
  for (const auto& c : configs) {
    const std::vector<std::string> args = {
        env.python.string(), env.script.string(),           "--variant", c.peer->variant,
        "--start-method",    c.peer->start_method,          "--workers", std::to_string(c.workers),
        "--samples",         std::to_string(c.samples),     "--seed",    std::to_string(s.seed),
        "--repetitions",     std::to_string(s.repetitions), "--warmup",  "1",
        "--timeout",         fmt::format("{}", s.timeout_s)};
    const auto r = subprocess::run(args, limit);
    std::vector<result_row> got;
    if (!r) {
      got = detail::peer_rows(*c.peer, s, c.workers, c.samples, "", 127,
                              fmt::format("cannot start {}: {}", env.python.string(), std::strerror(errno)));
    } else if (r->timed_out) {
      got = detail::peer_rows(*c.peer, s, c.workers, c.samples, r->out, r->exit_code == 0 ? 3 : r->exit_code,
                              fmt::format("no answer after {} s; the peer was stopped", limit.count()));
    } else {
      got = detail::peer_rows(*c.peer, s, c.workers, c.samples, r->out, r->exit_code, r->err);
    }
    for (const auto& row : got)
      if (row.status != "ok")
        prog.note(fmt::format("{} W={} n={} repetition {} failed: {}", c.peer->name, c.workers, c.samples,
                              *row.repetition, row.error));
    rows.insert(rows.end(), got.begin(), got.end());
    prog.step(fmt::format("{} W={} n={}", c.peer->name, c.workers, c.samples), c.weight);
  }
  prog.finish();
  return rows;
}

}  // namespace parbench::bench
