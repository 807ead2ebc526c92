#pragma once
// The one codec for data that crosses a process boundary: jobs to workers (spawn, forkserver,
// mpi) and results back. A message is a magic number, a version, a length and then fields;
// a decoder rejects anything else with codec_error rather than guessing.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/kernel.hpp"

namespace parbench::codec {

/// Version of the encoding; bump on any change of the layout below.
inline constexpr std::uint32_t version = 2;  // 2: job specs carry their phase

/// A message that is not a valid encoding (truncated, wrong magic or version, bad lengths).
class codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Appends fixed-width little-endian integers and length-prefixed strings.
class writer {
 public:
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void str(std::string_view s);
  void spec(const job_spec& s);
  void words(const result_words& w);
  /// The framed message: magic, version, payload length, payload.
  [[nodiscard]] std::string finish(std::uint32_t magic) const;

 private:
  std::string payload_;
};

/// Reads what a writer wrote, in the same order; every read checks the bounds.
class reader {
 public:
  /// Checks the frame (magic, version, exact length) of `message`.
  reader(std::string_view message, std::uint32_t magic);
  std::uint32_t u32();
  std::uint64_t u64();
  std::string str();
  job_spec spec();
  result_words words();
  /// Throws codec_error when bytes are left over.
  void finish() const;

 private:
  std::string_view take(std::size_t n);
  std::string_view payload_;
  std::size_t at_ = 0;
};

/// The magic numbers of the messages parbench sends.
inline constexpr std::uint32_t job_magic = 0x314a4250;     // "PBJ1": a job and its chunk range
inline constexpr std::uint32_t result_magic = 0x31524250;  // "PBR1": a worker's result
inline constexpr std::uint32_t task_magic = 0x31544250;    // "PBT1": a range for a dynamic worker

/// Size of a frame's header (magic, version, length), so a reader can size its buffer.
inline constexpr std::size_t header_size = 16;
/// The most bytes a message may have; a longer one is garbled (bounds worker pipes).
inline constexpr std::size_t max_message = std::size_t{1} << 20;

/// Total bytes of the frame whose first header_size bytes are `header` (header plus the
/// payload length it announces), so a stream reader knows where a message ends; UINT64_MAX
/// when the announced length exceeds max_message.
std::uint64_t frame_size(std::string_view header) noexcept;

/// A job as one message: spec plus chunk range.
std::string encode_job(const job_spec& spec, chunk_range range);
struct decoded_job {
  job_spec spec;
  chunk_range range;
};
decoded_job decode_job(std::string_view message);

/// Lower-case hex, for passing a message as one command-line argument.
std::string to_hex(std::string_view bytes);
/// Throws codec_error for odd lengths or non-hex characters.
std::string from_hex(std::string_view hex);

}  // namespace parbench::codec
