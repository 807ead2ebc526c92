#include "reports/report_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/signals.hpp"
#include "reports/csv.hpp"
#include "reports/report_columns.hpp"

namespace parbench::reports {
namespace {

namespace fs = std::filesystem;

template <class Row>
std::string csv_of(const std::vector<Row>& rows, const std::vector<column<Row>>& columns) {
  csv_writer w;
  for (const auto& c : columns) w.raw(c.name);
  w.end_row();
  for (const auto& row : rows) {
    for (const auto& c : columns) {
      if (c.is_text)
        w.text(c.get(row));
      else
        w.raw(c.get(row));
    }
    w.end_row();
  }
  return w.str();
}

// Removes a temporary file unless it was renamed into place.
class temp_file {
 public:
  explicit temp_file(const fs::path& target)
      : path_(target.parent_path() / fmt::format(".{}.tmp.XXXXXX", target.filename().string())) {
    std::string tmpl = path_.string();
    fd_ = ::mkstemp(tmpl.data());
    if (fd_ < 0)
      throw report_error(fmt::format("cannot write '{}': cannot create a file in '{}': {}; choose a writable folder",
                                     target.string(), target.parent_path().string(), std::strerror(errno)));
    path_ = tmpl;
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  void write_all(std::string_view content) {
    while (!content.empty()) {
      const ssize_t n = ::write(fd_, content.data(), content.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot write");
      content.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd_) != 0 && errno != EINVAL) fail("cannot flush");
    // mkstemp creates 0600; reports are ordinary files.
    ::fchmod(fd_, 0644);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot close");
  }

  void commit(const fs::path& target) {
    // rename() would replace a link or device planted at the target: refused instead.
    files::refuse_unsafe_target(target);
    if (::rename(path_.c_str(), target.c_str()) != 0) fail(fmt::format("cannot rename it to '{}'", target.string()));
    committed_ = true;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw report_error(
        fmt::format("{} '{}': {} (disk full or folder not writable?)", what, path_.string(), std::strerror(errno)));
  }
  fs::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

std::string to_csv(const std::vector<bench::result_row>& rows) { return csv_of(rows, result_columns()); }
std::string to_csv(const std::vector<bench::overhead_row>& rows) { return csv_of(rows, overhead_columns()); }
std::string to_csv(const std::vector<bench::break_even_row>& rows) { return csv_of(rows, break_even_columns()); }

void prepare_report_dir(const fs::path& dir) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw report_error(
        fmt::format("output path '{}' exists and is not a folder; pass a folder with --out", dir.string()));
  if (!fs::exists(status)) {
    fs::create_directories(dir, ec);
    if (ec)
      throw report_error(fmt::format("cannot create output folder '{}': {}; choose a writable path with --out",
                                     dir.string(), ec.message()));
  }
  for (const std::string_view name :
       {results_file, overhead_file, break_even_file, metadata_file, benchmark_json_file, summary_file}) {
    files::refuse_unsafe_target(dir / name);
  }
  const signals::critical_section section;  // an interrupt waits until the probe is removed
  temp_file probe(dir / "write-probe");     // throws when the folder is not writable; removed on scope exit
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  // rename() would replace whatever is there: never a link, a device (/dev/full), a folder or a pipe.
  files::refuse_unsafe_target(path);
  const signals::critical_section section;  // an interrupt waits for the rename (core/signals.hpp)
  temp_file tmp(path);
  tmp.write_all(content);
  tmp.commit(path);
}

void write_report(const fs::path& dir, const bench::report& report, const nlohmann::json& metadata,
                  std::string_view summary_markdown) {
  // All documents are rendered first so a failure cannot leave a mix of old and new files
  // because of a serialisation error.
  const std::string results = to_csv(report.results);
  const std::string overhead = to_csv(report.overhead);
  const std::string break_even = to_csv(report.break_even);
  const std::string meta = metadata.dump(2) + "\n";
  const std::string summary(summary_markdown);
  // All are written to temporary files first and renamed only when every write worked,
  // so a full disk never leaves a mix of old and new files; an interrupt waits for the renames.
  const signals::critical_section section;
  std::vector<std::pair<std::string_view, const std::string*>> documents = {
      {results_file, &results}, {overhead_file, &overhead}, {break_even_file, &break_even}, {metadata_file, &meta}};
  if (!summary.empty()) documents.emplace_back(summary_file, &summary);
  // Every target is checked before the first rename, so a refused one leaves no mix either.
  for (const auto& doc : documents) files::refuse_unsafe_target(dir / doc.first);
  std::vector<std::unique_ptr<temp_file>> temps;
  temps.reserve(documents.size());
  for (const auto& [name, content] : documents) {
    temps.push_back(std::make_unique<temp_file>(dir / name));
    temps.back()->write_all(*content);
  }
  for (std::size_t i = 0; i < temps.size(); ++i) temps[i]->commit(dir / documents[i].first);
}

}  // namespace parbench::reports
