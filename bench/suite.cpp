#include "bench/suite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "backends/registry.hpp"
#include "core/backend.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/parse.hpp"
#include "kernels/montecarlo/sampler.hpp"
#include "kernels/registry.hpp"

namespace parbench::bench {
namespace {

// Appends `item` to a `sep`-separated list.
void append_item(std::string& list, std::string_view sep, std::string_view item) {
  if (!list.empty()) list += sep;
  list += item;
}

using nlohmann::json;

class suite_parser {
 public:
  suite_parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  // Where the key `"name"` appears in the text (the first occurrence), for messages.
  [[noreturn]] void fail_at_key(std::string_view key, const std::string& problem) const {
    const auto pos = text_.find(fmt::format("\"{}\"", key));
    const auto [line, column] = position_in(text_, pos == std::string_view::npos ? 0 : pos);
    throw usage_error(fmt::format("{}:{}:{}: {}", source_, line, column, problem));
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw usage_error(fmt::format("{}: {}", source_, problem));
  }

 private:
  std::string_view text_;
  std::string_view source_;
};

std::string type_of(const json& v) { return v.type_name(); }

}  // namespace

suite default_suite() {
  suite s;
  // Sized for the 2-core build machines, where the AVX-512 Philox path does about 1.6e9
  // samples/s per core when quiet: 2^30 samples take ~0.7 s serial, and the whole default
  // suite about a minute (README, "Running the benchmark suite", has the measured time).
  s.samples = {std::uint64_t{1} << 28, std::uint64_t{1} << 30};
  // The imbalanced kernel at W = cores with every schedule: 2^25 base samples draw about
  // 2.9e8 points on the ramp profile, ~0.2 s serial.
  kernel_entry imbalanced;
  imbalanced.name = "imbalanced";
  imbalanced.samples = {std::uint64_t{1} << 25};
  imbalanced.workers_at_cpus = true;
  imbalanced.schedules = {"all"};
  imbalanced.break_even = false;
  // The stepped kernel: 1000 steps of two 2^12-point chunks (~5 us of work per step on one
  // core), so that the synchronisation between steps dominates; its single-step twin runs too.
  kernel_entry stepped;
  stepped.name = "stepped";
  stepped.params = {{"steps", "1000"}};
  stepped.samples = {std::uint64_t{8'192'000}};
  stepped.break_even = false;
  // The triad kernel at W = cores: STREAM's 4x the L3 cache per array, but at most 2^25 elements
  // (768 MiB in all), so that the default run stays within two minutes on two cores, where VMs
  // report the host's whole L3 (480 MiB seen). `run --kernel triad` alone takes the 4x rule.
  kernel_entry triad;
  triad.name = "triad";
  triad.params = {{"passes", "10"}};
  triad.samples = {std::min<std::uint64_t>(find_kernel("triad").default_size().value_or(1), std::uint64_t{1} << 25)};
  triad.workers_at_cpus = true;
  triad.break_even = false;
  s.kernels = {kernel_entry{}, imbalanced, stepped, triad};
  s.break_even_sizes = {std::uint64_t{1} << 12, std::uint64_t{1} << 14, std::uint64_t{1} << 16, std::uint64_t{1} << 18,
                        std::uint64_t{1} << 20, std::uint64_t{1} << 22, std::uint64_t{1} << 24};
  return s;
}

suite parse_suite(std::string_view text, std::string_view source, suite base) {
  const suite_parser p(text, source);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    p.fail("the suite file is empty; expected a JSON object such as {\"backends\": [\"serial\", \"threads\"]}");
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), files::json_depth_limit<json>(source));
  } catch (const json::parse_error& e) {
    const auto [line, column] = position_in(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line L, column C: ".
    if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    throw usage_error(fmt::format("{}:{}:{}: malformed JSON: {}", source, line, column, what));
  } catch (const json::exception& e) {
    // Not a syntax error but still bad input, e.g. out_of_range.406 for a number like 1e400
    // (found by fuzz/suite_fuzz.cpp): exit 2 with the reason, not 3.
    std::string what = e.what();
    if (const auto bracket = what.find("] "); bracket != std::string::npos) what = what.substr(bracket + 2);
    throw usage_error(fmt::format("{}: malformed JSON: {}", source, what));
  }
  if (!doc.is_object()) p.fail(fmt::format("expected a JSON object at the top level, found {}", type_of(doc)));

  suite s = std::move(base);
  const auto want = [&](const std::string& key, const json& v, bool ok, std::string_view expected) {
    if (!ok)
      p.fail_at_key(key,
                    fmt::format("'{}' must be {}, found {}", key, expected, v.is_number() ? v.dump() : type_of(v)));
  };
  // Numbers may be JSON numbers or strings in the CLI's forms ("1e9", "1-4").
  const auto count_text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  const auto guarded = [&](const std::string& key, auto&& fn) {
    try {
      fn();
    } catch (const usage_error& e) {
      p.fail_at_key(key, fmt::format("'{}': {}", key, e.what()));
    }
  };

  // Named references, not a structured binding: clang 14 (the fuzz preset) cannot capture
  // structured bindings in the lambdas below.
  for (const auto& entry : doc.items()) {
    const std::string& key = entry.key();
    const json& v = entry.value();
    if (key == "name") {
      want(key, v, v.is_string(), "a string");
      s.name = v.get<std::string>();
    } else if (key == "backends") {
      want(key, v, v.is_string() || v.is_array(), "\"all\" or an array of backend names");
      std::string list;
      if (v.is_string()) {
        list = v.get<std::string>();
      } else {
        for (const auto& item : v) {
          want(key, item, item.is_string(), "an array of strings");
          append_item(list, ",", item.get<std::string>());
        }
      }
      guarded(key, [&] { (void)parse_backend_list(list); });
      s.backends = v.is_string() ? std::vector<std::string>{list} : v.get<std::vector<std::string>>();
    } else if (key == "workers" || key == "samples" || key == "break_even_sizes") {
      want(key, v, v.is_array() || v.is_string() || v.is_number_unsigned(), "a list (array or \"1,2,4\" string)");
      std::string list;
      if (v.is_array()) {
        for (const auto& item : v) {
          want(key, item, item.is_string() || item.is_number_unsigned(), "an array of whole numbers");
          append_item(list, ",", count_text(item));
        }
      } else {
        list = count_text(v);
      }
      if (key == "break_even_sizes" && list.empty()) {
        s.break_even_sizes.clear();
        continue;
      }
      if (key == "workers" && list.empty() && v.is_array()) {
        s.workers.clear();  // [] = the default: 1, 2, 4, ... up to the online CPUs
        continue;
      }
      guarded(key, [&] {
        if (key == "workers")
          s.workers = parse_worker_list(list);
        else if (key == "samples")
          s.samples = parse_count_list(list, "samples");
        else
          s.break_even_sizes = parse_count_list(list, "break_even_sizes");
      });
    } else if (key == "kernels") {
      want(key, v, v.is_array() && !v.empty(), "a non-empty array of kernel names or objects");
      s.kernels.clear();
      for (const auto& item : v) {
        want(key, item, item.is_string() || item.is_object(), "an array of kernel names or objects");
        kernel_entry e;
        if (item.is_string()) {
          e.name = item.get<std::string>();
        } else {
          for (const auto& field : item.items()) {
            const std::string& f = field.key();
            const json& fv = field.value();
            if (f == "name") {
              want(key, fv, fv.is_string(), "a kernel name (\"name\")");
              e.name = fv.get<std::string>();
            } else if (f == "params") {
              want(key, fv, fv.is_object(), "an object of parameter values (\"params\")");
              for (const auto& pv : fv.items()) {
                want(key, pv.value(), pv.value().is_string() || pv.value().is_number_unsigned(),
                     "parameter values as strings or whole numbers");
                e.params.emplace_back(pv.key(), count_text(pv.value()));
              }
            } else if (f == "samples" || f == "workers") {
              want(key, fv, fv.is_array() || fv.is_string() || fv.is_number_unsigned(), "a list or \"cpus\"");
              std::string list;
              if (fv.is_array()) {
                for (const auto& n : fv) {
                  want(key, n, n.is_string() || n.is_number_unsigned(), "an array of whole numbers");
                  append_item(list, ",", count_text(n));
                }
              } else {
                list = count_text(fv);
              }
              guarded(key, [&] {
                if (f == "samples")
                  e.samples = parse_count_list(list, "samples");
                else if (list == "cpus")
                  e.workers_at_cpus = true;
                else
                  e.workers = parse_worker_list(list);
              });
            } else if (f == "schedules") {
              want(key, fv, fv.is_array() && !fv.empty(), "a non-empty array of schedule names");
              for (const auto& n : fv) {
                want(key, n, n.is_string(), "an array of schedule names");
                e.schedules.push_back(n.get<std::string>());
              }
            } else if (f == "break_even") {
              want(key, fv, fv.is_boolean(), "true or false");
              e.break_even = fv.get<bool>();
            } else {
              p.fail_at_key(f, fmt::format("unknown key '{}' in a kernels entry; allowed: name, params, samples, "
                                           "workers, schedules, break_even",
                                           f));
            }
          }
        }
        guarded(key, [&] {
          const kernel& k = find_kernel(e.name);
          (void)complete_spec(k, 1, 1, e.params);
        });
        s.kernels.push_back(std::move(e));
      }
    } else if (key == "params") {
      want(key, v, v.is_object(), "an object of parameter values");
      s.params.clear();
      for (const auto& pv : v.items()) {
        want(key, pv.value(), pv.value().is_string() || pv.value().is_number_unsigned(),
             "parameter values as strings or whole numbers");
        s.params.emplace_back(pv.key(), count_text(pv.value()));
      }
    } else if (key == "schedules") {
      want(key, v, v.is_array() && !v.empty(), "a non-empty array of schedule names, \"default\" or \"all\"");
      s.schedules.clear();
      for (const auto& n : v) {
        want(key, n, n.is_string(), "an array of schedule names");
        s.schedules.push_back(n.get<std::string>());
      }
    } else if (key == "repetitions" || key == "overhead_repetitions") {
      want(key, v, v.is_number_unsigned() && v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= 1000,
           "a whole number from 1 to 1000");
      (key == "repetitions" ? s.repetitions : s.overhead_repetitions) = v.get<unsigned>();
    } else if (key == "scaling") {
      want(key, v, v.is_string() && (v == "strong" || v == "weak"), "\"strong\" or \"weak\"");
      s.scaling = v.get<std::string>();
    } else if (key == "inner") {
      want(key, v, v.is_string(), "a backend name (the model inside each mpi rank)");
      // "" = the nesting backend's default model.
      if (!v.get<std::string>().empty()) guarded(key, [&] { (void)find_backend(v.get<std::string>()); });
      s.inner = v.get<std::string>();
    } else if (key == "rng") {
      want(key, v, v.is_string(), "\"philox\" or \"light\"");
      guarded(key, [&] { (void)kernels::parse_rng(v.get<std::string>()); });
      s.rng = v.get<std::string>();
    } else if (key == "seed") {
      want(key, v, v.is_number_unsigned() || v.is_string(), "a whole number");
      guarded(key, [&] { s.seed = parse_u64(count_text(v), "seed"); });
    } else if (key == "min_time") {
      // 0 is the default: one run per repetition.
      want(key, v, v.is_number() && (v.get<double>() == 0 || (v.get<double>() >= 0.001 && v.get<double>() <= 1e7)),
           "0 (one run per repetition) or a number of seconds from 0.001 to 1e7");
      s.min_time_s = v.get<double>();
    } else if (key == "timeout") {
      // As --timeout: below 1 ms the limit would round to 0 ms, which means none.
      want(key, v, v.is_number() && v.get<double>() >= 0.001 && v.get<double>() <= 1e7,
           "a number of seconds from 0.001 to 1e7");
      s.timeout_s = v.get<double>();
    } else if (key == "pin") {
      want(key, v, v.is_string() && parse_pin_policy(v.get<std::string>()).has_value(),
           "\"none\", \"compact\" or \"spread\"");
      s.pin = *parse_pin_policy(v.get<std::string>());
    } else if (key == "overhead" || key == "break_even") {
      want(key, v, v.is_boolean(), "true or false");
      (key == "overhead" ? s.overhead : s.break_even) = v.get<bool>();
    } else {
      p.fail_at_key(
          key,
          fmt::format("unknown key '{}'; allowed: name, kernels, params, schedules, backends, inner, workers, samples, "
                      "break_even_sizes, repetitions, scaling, rng, seed, min_time, timeout, "
                      "pin, overhead, break_even, overhead_repetitions",
                      key));
    }
  }
  return s;
}

suite read_suite(const std::string& path, suite base) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw usage_error(fmt::format("suite file '{}' is a folder; pass a JSON suite file (docs/cli.md)", path));
  return parse_suite(files::read_input(path, "suite file"), path, std::move(base));
}

nlohmann::json to_json(const suite& s) {
  json kernels = json::array();
  for (const auto& e : s.kernels) {
    json params = json::object();
    for (const auto& [n, v] : e.params) params[n] = v;
    json k{{"name", e.name}, {"params", params}};
    if (!e.samples.empty()) k["samples"] = e.samples;
    if (e.workers_at_cpus)
      k["workers"] = "cpus";
    else if (!e.workers.empty())
      k["workers"] = e.workers;
    if (!e.schedules.empty()) k["schedules"] = e.schedules;
    if (e.break_even) k["break_even"] = *e.break_even;
    kernels.push_back(std::move(k));
  }
  json params = json::object();
  for (const auto& [n, v] : s.params) params[n] = v;
  return json{{"name", s.name},
              {"kernels", kernels},
              {"params", params},
              {"schedules", s.schedules},
              {"inner", s.inner},
              {"backends", s.backends},
              {"workers", s.workers},
              {"samples", s.samples},
              {"break_even_sizes", s.break_even_sizes},
              {"repetitions", s.repetitions},
              {"scaling", s.scaling},
              {"rng", s.rng},
              {"seed", s.seed},
              {"pin", to_string(s.pin)},
              {"min_time", s.min_time_s},
              {"timeout", s.timeout_s},
              {"overhead", s.overhead},
              {"break_even", s.break_even},
              {"overhead_repetitions", s.overhead_repetitions}};
}

}  // namespace parbench::bench
