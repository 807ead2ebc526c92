// Strict reading of the parts of a report that the regression gate uses. Every problem is a
// usage_error "file:line:column: what is wrong" so CI logs point at the cell.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "bench/records.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/parse.hpp"
#include "reports/compare.hpp"
#include "reports/csv.hpp"
#include "reports/report_columns.hpp"

namespace parbench::reports {
namespace {

bool supported(long long version) {
  return version >= bench::oldest_schema_version && version <= bench::schema_version;
}

std::string supported_text() {
  return fmt::format("schema {} to {}", bench::oldest_schema_version, bench::schema_version);
}

// The columns the gate reads, per schema; `throughput` is the items/s column's name there.
struct gate_columns {
  int schema;
  std::vector<const char*> required;
  const char* size;
  const char* throughput;
};

const gate_columns& columns_for(int schema) {
  static const gate_columns current{
      bench::schema_version,
      {"schema_version", "kernel", "kernel_version", "params", "isa", "backend", "schedule", "scaling", "workers",
       "ranks", "threads_per_rank", "size", "unit", "row_type", "status", "wall_s", "items_per_s"},
      "size",
      "items_per_s"};
  static const gate_columns v1{
      1,
      {"schema_version", "kernel", "kernel_version", "rng", "isa", "backend", "scaling", "workers", "ranks",
       "threads_per_rank", "samples", "row_type", "status", "wall_s", "samples_per_s"},
      "samples",
      "samples_per_s"};
  return schema == 1 ? v1 : current;
}

// A header with schema 1's `samples` and without `size` is a schema 1 file. Otherwise the first
// row says which of the schemas with the current layout of the gate's columns (2 and later) it is.
int schema_of_header(const csv_table& t) {
  if (!t.column("size") && t.column("samples")) return 1;
  const auto version = t.column("schema_version");
  if (version && !t.rows.empty()) {
    const std::string& cell = t.rows[0][*version];
    int v = 0;
    const auto parsed = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (parsed.ec == std::errc{} && parsed.ptr == cell.data() + cell.size() && v >= 2 && v <= bench::schema_version)
      return v;
  }
  return bench::schema_version;
}

std::string read_whole(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    throw usage_error(
        fmt::format("{}: missing file: a report directory holds {} (written by parbench run)", path.string(), what));
  std::string text = files::read_input(path, "report file");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw usage_error(fmt::format("{}:1:1: empty file: expected {}", path.string(), what));
  return text;
}

// One data row of results.csv with positioned access to its cells.
struct row_reader {
  const csv_table& table;
  std::size_t row;
  const std::map<std::string, std::size_t>& cols;

  [[nodiscard]] std::string where(const char* name) const { return table.where(row, cols.at(name)); }
  [[nodiscard]] const std::string& text(const char* name) const { return table.rows[row][cols.at(name)]; }
  [[nodiscard]] bool has(const char* name) const { return cols.contains(name); }

  [[nodiscard]] std::string nonempty(const char* name) const {
    const std::string& s = text(name);
    if (s.empty()) throw usage_error(fmt::format("{}: empty {}", where(name), name));
    return s;
  }

  template <class T>
  [[nodiscard]] T whole(const char* name) const {
    const std::string& s = text(name);
    T v{};
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || v == 0)
      throw usage_error(fmt::format("{}: {} '{}' is not a positive whole number", where(name), name, s));
    return v;
  }

  // A timing or rate: must be a finite number > 0.
  /// A measurement condition (schema 4): absent column or empty cell = not recorded.
  [[nodiscard]] std::optional<double> condition(const char* name) const {
    if (!has(name) || text(name).empty()) return std::nullopt;
    const std::string& s = text(name);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ptr != s.data() + s.size() || ec != std::errc{} || !std::isfinite(v) || v < 0)
      throw usage_error(fmt::format("{}: {} '{}' is not a finite number >= 0", where(name), name, s));
    return v;
  }

  [[nodiscard]] double positive(const char* name) const {
    const std::string& s = text(name);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty()) throw usage_error(fmt::format("{}: {} is empty on an ok raw row", where(name), name));
    if (ptr != s.data() + s.size() || (ec != std::errc{} && ec != std::errc::result_out_of_range))
      throw usage_error(fmt::format("{}: {} '{}' is not a number", where(name), name, s));
    if (std::isnan(v)) throw usage_error(fmt::format("{}: {} is NaN: the timing is invalid", where(name), name));
    if (std::isinf(v) || ec == std::errc::result_out_of_range)
      throw usage_error(fmt::format("{}: {} '{}' is infinite or out of range", where(name), name, s));
    if (v <= 0)
      throw usage_error(
          fmt::format("{}: {} '{}' is not positive: timings and rates must be > 0", where(name), name, s));
    return v;
  }
};

// "line:column" of the first occurrence of `needle` in `text` (1-based), or 1:1.
std::string locate(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  const text_position p = position_in(text, at == std::string::npos ? 0 : at);
  return fmt::format("{}:{}", p.line, p.column);
}

void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object()) {
    for (const auto& [name, value] : j.items()) {
      std::string key = prefix;
      if (!key.empty()) key += '.';
      key += name;
      flatten(value, key, out);
    }
  } else {
    out[prefix] = j.is_string() ? j.get<std::string>() : j.dump();
  }
}

std::map<std::string, std::string> read_metadata(const std::filesystem::path& path) {
  const std::string text = read_whole(path, "the report's metadata (a JSON object)");
  nlohmann::json j;
  try {
    const std::string source = path.string();
    j = nlohmann::json::parse(text, files::json_depth_limit<nlohmann::json>(source));
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the character at which parsing failed.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw usage_error(fmt::format("{}:{}:{}: not valid JSON ({})", path.string(), line, col, e.what()));
  }
  if (!j.is_object()) throw usage_error(fmt::format("{}:1:1: expected a JSON object", path.string()));
  if (!j.contains("schema_version"))
    throw usage_error(fmt::format("{}:1:1: missing schema_version: not a parbench report's metadata", path.string()));
  if (!j["schema_version"].is_number_integer() || !supported(j["schema_version"].get<long long>()))
    throw usage_error(fmt::format("{}:{}: unknown schema_version {}: this parbench reads {}", path.string(),
                                  locate(text, "\"schema_version\""), j["schema_version"].dump(), supported_text()));
  std::map<std::string, std::string> flat;
  flatten(j, "", flat);
  return flat;
}

}  // namespace

compare_input read_compare_input(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (std::filesystem::exists(dir, ec))
      throw usage_error(
          fmt::format("{}: not a report directory (expected a directory with results.csv)", dir.string()));
    throw usage_error(fmt::format("{}: missing report directory", dir.string()));
  }
  compare_input in;
  in.dir = dir;
  const auto csv_path = dir / "results.csv";
  const std::string text = read_whole(csv_path, "results.csv with a header row");
  const csv_table table = parse_csv(text, csv_path.string());

  const int file_schema = schema_of_header(table);
  const gate_columns& layout = columns_for(file_schema);
  std::map<std::string, std::size_t> cols;
  std::vector<std::string> missing;
  for (const char* name : layout.required) {
    if (const auto c = table.column(name)) {
      cols[name] = *c;
    } else {
      missing.emplace_back(fmt::format("'{}'", name));
    }
  }
  // Optional: why a repetition failed, for the gate's verdict.
  if (const auto c = table.column("error")) cols["error"] = *c;
  // Optional: the conditions each repetition was measured under (schema 4; cpu_s from schema 1).
  for (const char* name : {"cpu_s", "other_cpu", "steal", "load1_start"})
    if (const auto c = table.column(name)) cols[name] = *c;
  if (!missing.empty())
    throw usage_error(
        fmt::format("{}:1:1: missing column{} {} in the header of a schema {} file (see "
                    "docs/report-format.md)",
                    csv_path.string(), missing.size() > 1 ? "s" : "", fmt::join(missing, ", "), file_schema));
  if (table.rows.empty()) throw usage_error(fmt::format("{}:2:1: no data rows after the header", csv_path.string()));

  std::map<config_key, sample_set> sets;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const row_reader row{table, r, cols};
    const std::string& schema = row.text("schema_version");
    if (schema.empty()) throw usage_error(fmt::format("{}: missing schema_version", row.where("schema_version")));
    if (schema != std::to_string(file_schema)) {
      long long v = 0;
      const auto parsed = std::from_chars(schema.data(), schema.data() + schema.size(), v);
      const bool known = parsed.ec == std::errc{} && parsed.ptr == schema.data() + schema.size() && supported(v);
      throw usage_error(known
                            ? fmt::format("{}: schema_version '{}' under a schema {} header: one file holds one schema",
                                          row.where("schema_version"), schema, file_schema)
                            : fmt::format("{}: unknown schema_version '{}': this parbench reads {}",
                                          row.where("schema_version"), schema, supported_text()));
    }
    const std::string& type = row.text("row_type");
    if (type == "aggregate") continue;
    if (type != "raw")
      throw usage_error(fmt::format("{}: row_type '{}' is neither raw nor aggregate", row.where("row_type"), type));
    config_key key;
    key.kernel = row.nonempty("kernel");
    key.kernel_version = row.nonempty("kernel_version");
    key.isa = row.text("isa");
    key.backend = row.nonempty("backend");
    key.scaling = row.nonempty("scaling");
    key.workers = row.whole<unsigned>("workers");
    key.ranks = row.whole<unsigned>("ranks");
    key.threads_per_rank = row.whole<unsigned>("threads_per_rank");
    key.size = row.whole<std::uint64_t>(layout.size);
    std::string unit = "samples";
    if (file_schema == 1) {
      key.params = "rng=" + row.nonempty("rng");
      key.schedule = std::string(schema_1_schedule);
    } else {
      key.params = row.text("params");
      key.schedule = row.nonempty("schedule");
      unit = row.nonempty("unit");
    }
    auto& set = sets[key];
    set.key = key;
    set.unit = unit;
    set.schema_version = file_schema;
    const std::string& status = row.text("status");
    if (status == "failed") {
      ++set.failed;
      if (set.error.empty() && row.has("error")) set.error = row.text("error");
      continue;
    }
    if (status != "ok")
      throw usage_error(fmt::format("{}: status '{}' is neither ok nor failed", row.where("status"), status));
    set.wall_s.push_back(row.positive("wall_s"));
    set.throughput.push_back(row.positive(layout.throughput));
    if (const auto v = row.condition("other_cpu")) set.conditions.other_cpu.push_back(*v);
    if (const auto v = row.condition("steal")) set.conditions.steal.push_back(*v);
    if (const auto v = row.condition("load1_start")) set.conditions.load1_start.push_back(*v);
    if (const auto v = row.condition("cpu_s")) set.conditions.cpu_per_wall.push_back(*v / set.wall_s.back());
  }
  if (sets.empty())
    throw usage_error(fmt::format("{}: no raw rows: the gate compares individual repetitions", csv_path.string()));
  for (auto& [key, set] : sets) in.sets.push_back(std::move(set));
  in.schema_version = file_schema;
  if (file_schema == 1) {
    std::set<std::string> kernels;
    for (const auto& s : in.sets) kernels.insert(s.key.kernel);
    in.notes.push_back(
        fmt::format("{} is a schema 1 report (read as kernel {}, schedule '{}': schema 1 did not record schedules)",
                    dir.string(), fmt::join(kernels, ","), schema_1_schedule));
  }
  in.metadata = read_metadata(dir / "metadata.json");
  // With --min-time a repetition repeats the run for at least that long (wall_s is per run).
  if (const auto it = in.metadata.find("suite.min_time"); it != in.metadata.end()) {
    char* end = nullptr;
    const double min_time = std::strtod(it->second.c_str(), &end);
    if (end != it->second.c_str() && std::isfinite(min_time) && min_time > 0)
      for (auto& set : in.sets) set.min_time_s = min_time;
  }
  return in;
}

}  // namespace parbench::reports
