// Inputs that fuzzing found to break jinx, kept so they stay fixed. Each
// file under tests/fuzz/regressions/ is replayed through the check of the
// fuzz target that found it.
#include <doctest/doctest.h>

#include <string>

#include "units.h"

TEST_CASE("fuzz regression: a duration with minutes and microseconds formats and parses back") {
  // "05m5m64us" = 10 minutes and 64 us; format_duration printed "10m6.4e-05s".
  std::string err;
  auto d = jinx::parse_duration("05m5m64us", &err);
  REQUIRE(d);
  CHECK(*d == 600000064);
  CHECK(jinx::format_duration(*d) == "10m0.000064s");
  auto back = jinx::parse_duration(jinx::format_duration(*d), &err);
  REQUIRE(back);
  CHECK(*back == *d);
  CHECK(jinx::format_duration(90 * jinx::kMicrosPerSecond) == "1m30s");
  CHECK(jinx::format_duration(3 * 60 * jinx::kMicrosPerSecond) == "3m0s");
  CHECK(jinx::format_duration(1500 * jinx::kMicrosPerMs) == "1.5s");
  CHECK(jinx::format_duration(3600 * jinx::kMicrosPerSecond) == "1h0m0s");
}
