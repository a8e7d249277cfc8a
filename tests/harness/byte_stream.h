// A deterministic pseudo-random byte stream and an FNV-1a 64 digest.
//
// Byte i of stream `seed` depends only on (seed, i), so a sender can produce
// it in any chunking and a receiver can check it at any offset without
// keeping the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jinx_test {

// Fills buf[0..n) with bytes offset..offset+n of stream `seed`.
void stream_fill(uint64_t seed, uint64_t offset, char* buf, size_t n);

// Bytes offset..offset+n of stream `seed`, as a string.
std::string stream_bytes(uint64_t seed, size_t n, uint64_t offset = 0);

// FNV-1a 64, fed incrementally.
class Fnv1a64 {
 public:
  void update(const char* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 14695981039346656037ULL;
};

// Digest of the first n bytes of stream `seed`.
uint64_t stream_digest(uint64_t seed, uint64_t n);

}  // namespace jinx_test
