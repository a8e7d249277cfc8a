#include "random.h"

#include <chrono>
#include <random>

namespace jinx {
namespace {

// SplitMix64 finalizer: a strong 64-bit mix, also used as the generator step.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng Rng::derive(uint64_t seed, uint64_t toxic, uint64_t conn, RandomPurpose purpose,
                uint64_t window) {
  uint64_t h = mix(seed ^ 0x6a696e78ULL);
  h = mix(h ^ toxic);
  h = mix(h ^ conn);
  h = mix(h ^ static_cast<uint64_t>(purpose));
  h = mix(h ^ window);
  return Rng(h);
}

uint64_t Rng::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * uniform();
}

uint64_t Rng::below(uint64_t bound) {
  if (bound == 0) return 0;
  return static_cast<uint64_t>(uniform() * static_cast<double>(bound)) % bound;
}

bool Rng::chance(double probability) {
  if (probability >= 1) return true;
  if (probability <= 0) return false;
  return uniform() < probability;
}

uint64_t toxic_id(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t random_seed() {
  std::random_device device;
  uint64_t time =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  // Kept below 2^53 so the seed survives JSON tools that read numbers as
  // doubles (jq): a seed copied from session_start must reproduce the run.
  return mix((static_cast<uint64_t>(device()) << 32 | device()) ^ time) & ((1ULL << 53) - 1);
}

}  // namespace jinx
