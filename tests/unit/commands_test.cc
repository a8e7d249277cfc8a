// The command-line readers of commands.h: --start-at and --seed.
#include "commands.h"

#include <doctest/doctest.h>

using namespace jinx;

namespace {

// 2026-01-01T00:00:00Z, in us since the epoch.
constexpr Micros kNewYear2026 = 1767225600LL * kMicrosPerSecond;

std::optional<Micros> start_at(const std::string& text, std::string* err = nullptr) {
  std::string ignored;
  return parse_start_at(text, kNewYear2026, err != nullptr ? err : &ignored);
}

}  // namespace

TEST_CASE("--start-at reads RFC 3339 times against a given now") {
  CHECK(start_at("2026-01-01T00:00:00Z") == 0);
  CHECK(start_at("2026-01-01T00:00:01Z") == kMicrosPerSecond);
  CHECK(start_at("2026-01-01t00:00:01.25z") == kMicrosPerSecond * 5 / 4);
  CHECK(start_at("2026-01-01 01:00:00+01:00") == 0);
  CHECK(start_at("2025-12-31T23:00:00-01:00") == 0);
  CHECK(start_at("2026-03-01T00:00:00Z") == 59LL * 86400 * kMicrosPerSecond);
  CHECK(start_at("2028-02-29T00:00:00Z").has_value());  // a leap year
  CHECK(start_at("+1.5s") == kMicrosPerSecond * 3 / 2);
}

TEST_CASE("--start-at refuses times that do not exist, instead of carrying them over") {
  for (const char* bad :
       {"2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2027-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:60Z", "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00+01:60",
        "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "2026-1-01T00:00:00Z", "tomorrow",
        "2026-01-01T00:00:00Zjunk", ""}) {
    CAPTURE(bad);
    std::string err;
    CHECK_FALSE(start_at(bad, &err).has_value());
    CHECK(err.rfind("--start-at", 0) == 0);
  }
  std::string err;
  CHECK_FALSE(start_at("2025-12-31T23:59:59Z", &err).has_value());
  CHECK(err.find("has already passed") != std::string::npos);
}

TEST_CASE("parse_u64 takes digits only, up to 2^64-1") {
  CHECK(parse_u64("0") == 0u);
  CHECK(parse_u64("18446744073709551615") == UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", "18446744073709551616", "1x", " 1", "0x10"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_u64(bad).has_value());
  }
}
