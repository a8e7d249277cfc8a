// Seeded randomness. Every random draw in jinx comes from a generator derived
// from (seed, toxic, connection, direction, window), so the same seed gives the
// same decisions for the same connection numbers, whatever the timing and
// however many other connections exist. Nothing else calls rand().
#pragma once

#include <cstdint>
#include <string_view>

namespace jinx {

// What a stream of draws is for, in place of a direction for schedule draws.
enum class RandomPurpose : uint64_t {
  upstream = 0,    // a stage acting on client -> upstream bytes
  downstream = 1,  // a stage acting on upstream -> client bytes
  schedule = 2,    // ranged starts and lengths of windows
  toxicity_upstream = 3,
  toxicity_downstream = 4,
  request_toxicity = 5,  // an HTTP request toxic picking a request (window = request number)
  request = 6,           // that toxic's own draws for the request
  // A byte-level toxic with match picking a request's bytes in one direction
  // (window = request number).
  request_bytes_upstream = 7,
  request_bytes_downstream = 8,
};

class Rng {
 public:
  static Rng derive(uint64_t seed, uint64_t toxic_id, uint64_t conn, RandomPurpose purpose,
                    uint64_t window);
  explicit Rng(uint64_t state) : state_(state) {}

  uint64_t next();
  double uniform();                      // [0, 1)
  double uniform(double lo, double hi);  // [lo, hi]
  uint64_t below(uint64_t bound);        // [0, bound)
  bool chance(double probability);       // true with that probability

 private:
  uint64_t state_;
};

// A stable id for a toxic: its name hashed, so adding a toxic to a file does
// not change the draws of the others.
uint64_t toxic_id(std::string_view name);

// A fresh seed for a scenario that has none, reported in session_start.
uint64_t random_seed();

}  // namespace jinx
