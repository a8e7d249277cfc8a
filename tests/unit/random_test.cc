// Seeded randomness (SPEC 6): every stream is a pure function of
// (seed, toxic, connection, purpose, window).
#include "random.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

namespace jinx {
namespace {

std::vector<uint64_t> draws(Rng rng, size_t n = 32) {
  std::vector<uint64_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(rng.next());
  return out;
}

TEST_CASE("derive is deterministic") {
  auto a = draws(Rng::derive(42, toxic_id("slow"), 7, RandomPurpose::downstream, 3));
  auto b = draws(Rng::derive(42, toxic_id("slow"), 7, RandomPurpose::downstream, 3));
  CHECK(a == b);
  // No hidden global state: other streams drawn in between change nothing.
  Rng other = Rng::derive(42, toxic_id("slow"), 8, RandomPurpose::downstream, 3);
  for (int i = 0; i < 1000; ++i) other.next();
  CHECK(draws(Rng::derive(42, toxic_id("slow"), 7, RandomPurpose::downstream, 3)) == a);
  // Copies of a generator replay the same sequence.
  Rng r = Rng::derive(1, 2, 3, RandomPurpose::schedule, 4);
  Rng copy = r;
  CHECK(draws(r) == draws(copy));
}

TEST_CASE("each part of the tuple gives an independent stream") {
  const uint64_t id = toxic_id("t");
  auto base = draws(Rng::derive(42, id, 7, RandomPurpose::upstream, 0));
  std::vector<std::vector<uint64_t>> others = {
      draws(Rng::derive(43, id, 7, RandomPurpose::upstream, 0)),
      draws(Rng::derive(42, toxic_id("u"), 7, RandomPurpose::upstream, 0)),
      draws(Rng::derive(42, id, 8, RandomPurpose::upstream, 0)),
      draws(Rng::derive(42, id, 7, RandomPurpose::downstream, 0)),
      draws(Rng::derive(42, id, 7, RandomPurpose::schedule, 0)),
      draws(Rng::derive(42, id, 7, RandomPurpose::toxicity_upstream, 0)),
      draws(Rng::derive(42, id, 7, RandomPurpose::upstream, 1)),
  };
  for (size_t i = 0; i < others.size(); ++i) {
    CAPTURE(i);
    size_t equal = 0;
    for (size_t k = 0; k < base.size(); ++k) equal += base[k] == others[i][k] ? 1 : 0;
    CHECK(equal == 0);
  }
  // Swapping two parts of the tuple does not give the same stream.
  CHECK(draws(Rng::derive(1, 2, 3, RandomPurpose::upstream, 0)) !=
        draws(Rng::derive(1, 3, 2, RandomPurpose::upstream, 0)));
  CHECK(draws(Rng::derive(0, 0, 5, RandomPurpose::upstream, 6)) !=
        draws(Rng::derive(0, 0, 6, RandomPurpose::upstream, 5)));
}

TEST_CASE("first draws across connection numbers are uniform") {
  // Ten buckets of the first uniform() of 10000 consecutive connections:
  // chi-square with 9 degrees of freedom stays far below 40 (p < 1e-5).
  int buckets[10] = {};
  for (uint64_t conn = 1; conn <= 10000; ++conn) {
    double u = Rng::derive(7, toxic_id("t"), conn, RandomPurpose::toxicity_downstream, 0).uniform();
    ++buckets[static_cast<int>(u * 10)];
  }
  double chi2 = 0;
  for (int b : buckets) chi2 += (b - 1000.0) * (b - 1000.0) / 1000.0;
  CHECK(chi2 < 40);
}

TEST_CASE("uniform, below and chance stay in range") {
  Rng rng = Rng::derive(1, 1, 1, RandomPurpose::upstream, 0);
  double lo = 1;
  double hi = 0;
  double sum = 0;
  const int n = 100000;
  int outside = 0;
  for (int i = 0; i < n; ++i) {
    double u = rng.uniform();
    outside += (u >= 0 && u < 1) ? 0 : 1;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  CHECK(outside == 0);
  CHECK(lo < 0.001);
  CHECK(hi > 0.999);
  // Mean of n uniforms: sd = sqrt(1/12/n) ~ 0.0009.
  CHECK(std::abs(sum / n - 0.5) < 0.005);

  for (int i = 0; i < 10000; ++i) {
    double v = rng.uniform(-20.0, 20.0);
    outside += (v >= -20.0 && v <= 20.0) ? 0 : 1;
  }
  CHECK(outside == 0);
  CHECK(rng.uniform(3.0, 3.0) == 3.0);

  int seen[7] = {};
  for (int i = 0; i < 7000; ++i) {
    uint64_t b = rng.below(7);
    if (b < 7) ++seen[b];
  }
  for (int count : seen) CHECK(count > 800);  // expected 1000, sd ~ 29
  CHECK(rng.below(1) == 0);
  CHECK(rng.below(0) == 0);
  uint64_t big = uint64_t{1} << 62;
  for (int i = 0; i < 1000; ++i) outside += rng.below(big) < big ? 0 : 1;
  CHECK(outside == 0);
}

TEST_CASE("chance matches its probability within binomial bounds") {
  const int n = 100000;
  for (double p : {0.01, 0.3, 0.5, 0.97}) {
    CAPTURE(p);
    Rng rng = Rng::derive(99, toxic_id("chance"), 1, RandomPurpose::toxicity_upstream, 0);
    int hits = 0;
    for (int i = 0; i < n; ++i) hits += rng.chance(p) ? 1 : 0;
    double mean = n * p;
    double sd = std::sqrt(n * p * (1 - p));
    CHECK(std::abs(hits - mean) < 5 * sd);
  }
  Rng rng = Rng::derive(5, 5, 5, RandomPurpose::upstream, 5);
  int wrong = 0;
  for (int i = 0; i < 10000; ++i) wrong += (rng.chance(0) ? 1 : 0) + (rng.chance(1) ? 0 : 1);
  CHECK(wrong == 0);
}

TEST_CASE("toxic ids are stable hashes of the name") {
  CHECK(toxic_id("slow") == toxic_id("slow"));
  CHECK(toxic_id("slow") != toxic_id("slow2"));
  CHECK(toxic_id("") != toxic_id("a"));
  CHECK(toxic_id("ab") != toxic_id("ba"));
  // Stable across builds: FNV-1a of the empty string is its offset basis.
  CHECK(toxic_id("") == 0xcbf29ce484222325ULL);
}

TEST_CASE("random seeds are fresh and survive JSON doubles") {
  uint64_t a = random_seed();
  uint64_t b = random_seed();
  CHECK(a != b);
  CHECK(a < (uint64_t{1} << 53));
  CHECK(b < (uint64_t{1} << 53));
}

}  // namespace
}  // namespace jinx
