#include "byte_stream.h"

#include <vector>

namespace jinx_test {
namespace {

// splitmix64's finaliser: a good 64-bit mixer.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

void stream_fill(uint64_t seed, uint64_t offset, char* buf, size_t n) {
  const uint64_t key = mix(seed);
  uint64_t block = offset / 8;
  uint64_t word = mix(block ^ key);
  for (size_t i = 0; i < n; ++i) {
    uint64_t pos = offset + i;
    if (pos / 8 != block) {
      block = pos / 8;
      word = mix(block ^ key);
    }
    buf[i] = static_cast<char>((word >> (8 * (pos % 8))) & 0xff);
  }
}

std::string stream_bytes(uint64_t seed, size_t n, uint64_t offset) {
  std::string s(n, '\0');
  stream_fill(seed, offset, s.data(), n);
  return s;
}

void Fnv1a64::update(const char* data, size_t n) {
  uint64_t h = h_;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ULL;
  }
  h_ = h;
}

uint64_t stream_digest(uint64_t seed, uint64_t n) {
  Fnv1a64 fnv;
  std::vector<char> buf(1 << 16);
  for (uint64_t off = 0; off < n;) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), n - off));
    stream_fill(seed, off, buf.data(), k);
    fnv.update(buf.data(), k);
    off += k;
  }
  return fnv.value();
}

}  // namespace jinx_test
