#include "pattern.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "byte_stream.h"

namespace soak {

Pattern::Pattern(uint64_t seed) : bytes_(kSize) {
  jinx_test::stream_fill(seed, 0, bytes_.data(), bytes_.size());
}

const char* Pattern::span(uint64_t base, uint64_t pos, size_t* n) const {
  uint64_t start = (base + pos) & (kSize - 1);
  *n = static_cast<size_t>(std::min<uint64_t>(*n, kSize - start));
  return bytes_.data() + start;
}

void Verifier::take(const char* data, size_t n) {
  while (n > 0) {
    size_t k = n;
    const char* want = pattern->span(base, got, &k);
    if (std::memcmp(data, want, k) != 0) {
      for (size_t i = 0; i < k; ++i) {
        auto x = static_cast<unsigned char>(data[i] ^ want[i]);
        if (x == 0) continue;
        if (diff_bytes++ == 0) first_diff = got + i;
        max_flipped_bits = std::max(max_flipped_bits, std::popcount(x));
      }
    }
    got += k;
    data += k;
    n -= k;
  }
}

}  // namespace soak
