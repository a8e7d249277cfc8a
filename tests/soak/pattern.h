// The bytes the soak moves. One 8 MiB block of the harness's deterministic
// stream (byte_stream.h) serves every sender: an echo client sends the block
// from its own starting offset, wrapping around; a download of class k is
// the block from a fixed offset of its own. A receiver therefore checks any
// byte by position alone, with memcmp, and never keeps what it received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace soak {

class Pattern {
 public:
  static constexpr uint64_t kSize = uint64_t{1} << 23;

  explicit Pattern(uint64_t seed);
  // Byte `pos` of the endless stream that starts at block offset `base`.
  unsigned char at(uint64_t base, uint64_t pos) const { return bytes_[(base + pos) & (kSize - 1)]; }
  // Up to n contiguous bytes of that stream from `pos` (fewer at the wrap).
  const char* span(uint64_t base, uint64_t pos, size_t* n) const;

 private:
  std::vector<char> bytes_;
};

// Checks a received byte stream against the stream it should be a prefix of.
struct Verifier {
  const Pattern* pattern = nullptr;
  uint64_t base = 0;

  uint64_t got = 0;         // bytes received
  uint64_t diff_bytes = 0;  // bytes that differ from what was sent
  uint64_t first_diff = ~uint64_t{0};
  int max_flipped_bits = 0;  // most bits changed in one byte

  void take(const char* data, size_t n);
};

}  // namespace soak
