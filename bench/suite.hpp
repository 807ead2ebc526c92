#pragma once
// What `parbench run` measures: a suite, from the embedded default, a JSON suite file
// (docs/cli.md, "Suite files") and command-line overrides, in that order.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/affinity.hpp"
#include "core/kernel.hpp"

namespace parbench::bench {

/// One kernel a suite runs, with settings of its own where they differ from the suite's.
struct kernel_entry {
  std::string name = "pi";
  /// Its parameters (the rest take the kernel's defaults; the suite's rng and params apply
  /// where the kernel declares them and this entry does not set them).
  param_values params;
  std::vector<std::uint64_t> samples;  ///< empty = the suite's
  std::vector<unsigned> workers;       ///< empty = the suite's
  bool workers_at_cpus = false;        ///< W = the online CPUs only ("workers": "cpus")
  std::vector<std::string> schedules;  ///< empty = the suite's
  std::optional<bool> break_even;      ///< empty = the suite's
};

struct suite {
  std::string name = "default";
  /// Kernels, in order; each configuration key includes the kernel and its parameters.
  std::vector<kernel_entry> kernels = {kernel_entry{}};
  /// Parameters for every kernel that declares them (`--param`); each must be declared by one.
  param_values params;
  /// Schedules: names (with :N), "default" (each backend's first) or "all" (every one it offers).
  std::vector<std::string> schedules = {"default"};
  /// The model inside each process of a nesting backend (mpi's --inner); empty = its default.
  std::string inner;
  /// Backend names, or {"all"}.
  std::vector<std::string> backends = {"all"};
  /// Worker counts; empty = default_workers(topology) (bench/topology.hpp): 1, 2, 4, ... up to
  /// the physical cores this process may use, then on to its hardware threads.
  std::vector<unsigned> workers;
  /// Main sizes: total samples (strong) or samples per worker (weak).
  std::vector<std::uint64_t> samples;
  /// Geometric sweep for break-even sizes (always strong scaling); empty = none.
  std::vector<std::uint64_t> break_even_sizes;
  unsigned repetitions = 5;
  std::string scaling = "strong";  ///< strong | weak
  std::string rng = "philox";      ///< the `rng` parameter of kernels that have one
  std::uint64_t seed = 1;
  /// Seconds per repetition for Google Benchmark's iteration count; 0 = one run per repetition.
  double min_time_s = 0;
  bool overhead = true;
  bool break_even = true;
  /// Outer repetitions of the start-up overhead measurement.
  unsigned overhead_repetitions = 7;
  /// Process backends kill a worker after this long (seconds).
  double timeout_s = 60;
  /// Where workers run (core/affinity.hpp): every configuration of the run uses it.
  pin_policy pin = pin_policy::none;
};

/// The embedded default suite: every backend in this build, default workers, sizes chosen
/// so that the whole suite (with overhead and break-even sweeps) takes 1–2 minutes on 2 cores.
suite default_suite();

/// Parses a suite file's text over `base` (keys not in the file keep base's values).
/// Throws usage_error "source:line:column: problem" for malformed JSON, an empty file, an
/// unknown key, a wrong type, a bad value or an unknown backend.
suite parse_suite(std::string_view text, std::string_view source, suite base = default_suite());

/// Reads and parses a suite file; a missing or unreadable file is a usage_error.
suite read_suite(const std::string& path, suite base = default_suite());

/// The suite as JSON (for metadata.json and --list).
nlohmann::json to_json(const suite& s);

}  // namespace parbench::bench
