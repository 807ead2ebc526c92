#include "core/job_codec.hpp"

#include <fmt/format.h>

#include <cstring>

namespace parbench::codec {
namespace {

template <typename T>
void put(std::string& out, T v) {
  unsigned char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * i));
  out.append(reinterpret_cast<const char*>(bytes), sizeof(T));
}

template <typename T>
T get(std::string_view bytes) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return v;
}

// Counts that no valid message comes near: a garbled length fails here, not in an allocation.
constexpr std::uint64_t max_count = max_message;

}  // namespace

void writer::u32(std::uint32_t v) { put(payload_, v); }
void writer::u64(std::uint64_t v) { put(payload_, v); }
void writer::str(std::string_view s) {
  u64(s.size());
  payload_.append(s);
}
void writer::spec(const job_spec& s) {
  str(s.kernel);
  u64(s.size);
  u64(s.seed);
  u64(s.params.size());
  for (const auto& [name, value] : s.params) {
    str(name);
    str(value);
  }
  u32(static_cast<std::uint32_t>(s.phase));
}
void writer::words(const result_words& w) {
  u64(w.size());
  for (const auto v : w) u64(v);
}

std::string writer::finish(std::uint32_t magic) const {
  std::string out;
  put(out, magic);
  put(out, version);
  put(out, static_cast<std::uint64_t>(payload_.size()));
  out += payload_;
  return out;
}

reader::reader(std::string_view message, std::uint32_t magic) {
  if (message.size() < header_size)
    throw codec_error(fmt::format("message of {} bytes is shorter than its header", message.size()));
  const auto m = get<std::uint32_t>(message.substr(0, 4));
  const auto v = get<std::uint32_t>(message.substr(4, 4));
  const auto length = get<std::uint64_t>(message.substr(8, 8));
  if (m != magic) throw codec_error(fmt::format("wrong magic number {:#x} (expected {:#x})", m, magic));
  if (v != version) throw codec_error(fmt::format("codec version {} (this build reads {})", v, version));
  if (length != message.size() - header_size)
    throw codec_error(fmt::format("payload of {} bytes, the header says {}", message.size() - header_size, length));
  payload_ = message.substr(header_size);
}

std::string_view reader::take(std::size_t n) {
  if (n > payload_.size() - at_) throw codec_error("message ends early");
  const std::string_view out = payload_.substr(at_, n);
  at_ += n;
  return out;
}

std::uint32_t reader::u32() { return get<std::uint32_t>(take(4)); }
std::uint64_t reader::u64() { return get<std::uint64_t>(take(8)); }
std::string reader::str() {
  const std::uint64_t n = u64();
  if (n > max_count) throw codec_error("string length out of range");
  return std::string(take(static_cast<std::size_t>(n)));
}
job_spec reader::spec() {
  job_spec s;
  s.kernel = str();
  s.size = u64();
  s.seed = u64();
  const std::uint64_t n = u64();
  if (n > max_count) throw codec_error("parameter count out of range");
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string name = str();
    s.params.emplace_back(std::move(name), str());
  }
  const std::uint32_t phase = u32();
  if (phase > static_cast<std::uint32_t>(job_phase::verify)) throw codec_error("unknown job phase");
  s.phase = static_cast<job_phase>(phase);
  return s;
}
result_words reader::words() {
  const std::uint64_t n = u64();
  if (n > max_count / 8) throw codec_error("result word count out of range");
  result_words w(static_cast<std::size_t>(n));
  for (auto& v : w) v = u64();
  return w;
}
void reader::finish() const {
  if (at_ != payload_.size()) throw codec_error(fmt::format("{} bytes left over", payload_.size() - at_));
}

std::uint64_t frame_size(std::string_view header) noexcept {
  const auto length = get<std::uint64_t>(header.substr(8, 8));
  return length > max_message ? UINT64_MAX : length + header_size;
}

std::string encode_job(const job_spec& spec, chunk_range range) {
  writer w;
  w.spec(spec);
  w.u64(range.first);
  w.u64(range.last);
  return w.finish(job_magic);
}

decoded_job decode_job(std::string_view message) {
  reader r(message, job_magic);
  decoded_job out;
  out.spec = r.spec();
  out.range.first = r.u64();
  out.range.last = r.u64();
  r.finish();
  if (out.range.first > out.range.last) throw codec_error("chunk range ends before it starts");
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw codec_error("hex text of odd length");
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw codec_error("not a hex digit");
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  return out;
}

}  // namespace parbench::codec
