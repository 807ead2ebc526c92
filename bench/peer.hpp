#pragma once
// Reference peers in `parbench run --peer`: programs outside parbench (the tutorial's
// Python, peers/python/mp_pi.py) run under the suite's protocol — same sample counts,
// worker counts, seed and repetitions — and returned as raw result rows of kind "peer".

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/progress.hpp"
#include "bench/records.hpp"
#include "bench/suite.hpp"

namespace parbench::bench {

/// One peer configuration, named python-<variant>-<start method> in reports.
struct peer_spec {
  std::string name;
  std::string variant;       ///< pure | numpy
  std::string start_method;  ///< fork | spawn | forkserver
};

/// Parses `--peer`: "python" (python-pure-fork and python-numpy-fork), "python-all" (both
/// variants with every start method), or a comma-separated list of python-<pure|numpy>-
/// <fork|spawn|forkserver> names. Throws usage_error naming the valid choices.
std::vector<peer_spec> parse_peer_list(std::string_view text);

/// The interpreter and script a peer run uses.
struct peer_environment {
  std::filesystem::path python;  ///< $PYTHON, /usr/bin/python3 or python3: the first that imports numpy
  std::filesystem::path script;  ///< mp_pi.py
  std::string python_version;    ///< e.g. "3.11.2"
  std::string numpy_version;     ///< e.g. "1.24.2"
};

/// Finds them before anything is measured. The script: $PARBENCH_PEER_SCRIPT, mp_pi.py next
/// to the executable, <prefix>/share/parbench/peers/python/mp_pi.py, then the source tree.
/// Throws usage_error saying what is missing and how to fix it.
peer_environment find_peer_environment();

/// Runs every peer at every W of `workers` and every main size of the suite (weak scaling:
/// samples x W), one process per configuration with one untimed warm-up repetition and
/// `repetitions` timed ones (the peer's --timeout is the suite's). Blocking. Returns raw
/// rows; a repetition that failed (self-check, crash, timeout) is a row with status
/// "failed". The peer's hits come from its own generator: they are checked against
/// pi (6 sigma), never against parbench's hit counts.
std::vector<result_row> run_peers(const std::vector<peer_spec>& peers, const peer_environment& env, const suite& s,
                                  const std::vector<unsigned>& workers, progress& prog);

/// What `--list` shows for the peers: names, interpreter, script.
std::string describe_peers(const std::vector<peer_spec>& peers, const peer_environment& env);

/// The peers for metadata.json's "suite": names, interpreter and versions, script.
nlohmann::json to_json(const std::vector<peer_spec>& peers, const peer_environment& env);

/// `rows` without kind "peer" (break-even sizes are for parbench's backends only).
std::vector<result_row> without_peers(const std::vector<result_row>& rows);

namespace detail {
/// The rows of one peer process from its stdout (one JSON object per line), exit code and
/// stderr; missing repetitions become failed rows carrying the peer's error message.
std::vector<result_row> peer_rows(const peer_spec& peer, const suite& s, unsigned workers, std::uint64_t samples,
                                  std::string_view out, int exit_code, std::string_view err);
}  // namespace detail

}  // namespace parbench::bench
