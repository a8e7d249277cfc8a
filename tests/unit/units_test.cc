// Units of the scenario format (SPEC 3).
#include "units.h"

#include <doctest/doctest.h>

#include <string>

namespace jinx {
namespace {

Micros dur(std::string_view text) {
  std::string err;
  auto d = parse_duration(text, &err);
  INFO("duration '", std::string(text), "': ", err);
  REQUIRE(d.has_value());
  CHECK(err.empty());
  return *d;
}

std::string dur_error(std::string_view text) {
  std::string err;
  auto d = parse_duration(text, &err);
  INFO("duration '", std::string(text), "'");
  CHECK_FALSE(d.has_value());
  CHECK_FALSE(err.empty());
  return err;
}

uint64_t bytes_of(std::string_view text) {
  std::string err;
  auto s = parse_size(text, &err);
  INFO("size '", std::string(text), "': ", err);
  REQUIRE(s.has_value());
  return *s;
}

std::string size_error(std::string_view text) {
  std::string err;
  auto s = parse_size(text, &err);
  INFO("size '", std::string(text), "'");
  CHECK_FALSE(s.has_value());
  CHECK_FALSE(err.empty());
  return err;
}

double rate(std::string_view text) {
  std::string err;
  auto r = parse_rate(text, &err);
  INFO("rate '", std::string(text), "': ", err);
  REQUIRE(r.has_value());
  return *r;
}

std::string rate_error(std::string_view text) {
  std::string err;
  auto r = parse_rate(text, &err);
  INFO("rate '", std::string(text), "'");
  CHECK_FALSE(r.has_value());
  CHECK_FALSE(err.empty());
  return err;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("durations: every unit, combined and decimal") {
  CHECK(dur("250ms") == 250 * kMicrosPerMs);
  CHECK(dur("1.5s") == 1'500'000);
  CHECK(dur("1m30s") == 90 * kMicrosPerSecond);
  CHECK(dur("0s") == 0);
  CHECK(dur("1h") == 3600 * kMicrosPerSecond);
  CHECK(dur("500us") == 500);
  CHECK(dur("1.5ms") == 1500);
  CHECK(dur("2h1m1s1ms1us") == ((2 * 3600 + 61) * kMicrosPerSecond + 1000 + 1));
  CHECK(dur(".5s") == 500'000);
  CHECK(dur("0.25m") == 15 * kMicrosPerSecond);
}

TEST_CASE("durations: errors") {
  CHECK(contains(dur_error("250"), "duration needs a unit"));
  CHECK(contains(dur_error("250"), "\"250ms\""));
  CHECK(contains(dur_error("1m30"), "duration needs a unit"));
  CHECK(contains(dur_error("5x"), "unknown duration unit 'x'"));
  CHECK(contains(dur_error("5sec"), "unknown duration unit 'sec'"));
  CHECK(contains(dur_error("3d"), "unknown duration unit"));
  CHECK(contains(dur_error(""), "empty duration"));
  CHECK(contains(dur_error("ms"), "invalid duration"));
  CHECK(contains(dur_error("-1s"), "invalid duration"));
  CHECK(contains(dur_error("1s-"), "invalid duration"));
  CHECK(contains(dur_error("99999999999h"), "too long"));
}

TEST_CASE("durations: formatting is the inverse of parsing") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(250 * kMicrosPerMs) == "250ms");
  CHECK(format_duration(500) == "500us");
  CHECK(format_duration(90 * kMicrosPerSecond) == "1m30s");
  CHECK(format_duration(1'500'000) == "1.5s");
  CHECK(format_duration(3600 * kMicrosPerSecond) == "1h0m0s");
  for (Micros d : {Micros{1}, Micros{999}, Micros{1000}, Micros{42'000'000}, Micros{3'723'000'000},
                   Micros{61'500'000}}) {
    CAPTURE(d);
    CHECK(dur(format_duration(d)) == d);
  }
}

TEST_CASE("sizes: decimal and binary units") {
  CHECK(bytes_of("512") == 512);
  CHECK(bytes_of("0") == 0);
  CHECK(bytes_of("512B") == 512);
  CHECK(bytes_of("64KB") == 64'000);
  CHECK(bytes_of("3MB") == 3'000'000);
  CHECK(bytes_of("2GB") == 2'000'000'000);
  CHECK(bytes_of("64KiB") == 64 * 1024);
  CHECK(bytes_of("32MiB") == 32ULL * 1024 * 1024);
  CHECK(bytes_of("1GiB") == 1024ULL * 1024 * 1024);
  CHECK(bytes_of("1.5MB") == 1'500'000);
  CHECK(bytes_of("1.5KiB") == 1536);
}

TEST_CASE("sizes: errors") {
  CHECK(contains(size_error("64kib"), "invalid size unit"));
  CHECK(contains(size_error("64TB"), "invalid size unit"));
  CHECK(contains(size_error("64 KiB"), "invalid size unit"));
  CHECK(contains(size_error(""), "invalid size"));
  CHECK(contains(size_error("KiB"), "invalid size"));
  CHECK(contains(size_error("-1"), "invalid size"));
  CHECK(contains(size_error("1.5B"), "whole number of bytes"));
  CHECK(contains(size_error("2000000000GiB"), "too large"));
}

TEST_CASE("rates: sizes per second and bits") {
  CHECK(rate("100KB/s") == doctest::Approx(100'000));
  CHECK(rate("1MiB/s") == doctest::Approx(1024.0 * 1024));
  CHECK(rate("512/s") == doctest::Approx(512));
  CHECK(rate("1.5MB/s") == doctest::Approx(1'500'000));
  CHECK(rate("0B/s") == doctest::Approx(0));
  CHECK(rate("8bit/s") == doctest::Approx(1));
  CHECK(rate("10kbit/s") == doctest::Approx(1250));
  CHECK(rate("8Mbit/s") == doctest::Approx(1'000'000));
  CHECK(rate("1Gbit/s") == doctest::Approx(125'000'000));
  CHECK(rate("2.5Mbit/s") == doctest::Approx(312'500));
}

TEST_CASE("rates: errors") {
  CHECK(contains(rate_error("100KB"), "invalid rate"));
  CHECK(contains(rate_error("10kbit"), "invalid rate"));
  CHECK(contains(rate_error("100KB/h"), "invalid rate"));
  CHECK(contains(rate_error("10Tbit/s"), "bit units"));
  CHECK(contains(rate_error("10kb/s"), "invalid size unit"));
  CHECK_FALSE(rate_error("/s").empty());
  CHECK_FALSE(rate_error("").empty());
  // Bounded like sizes (issue 9 #13): no "inf" in the events.
  CHECK(contains(rate_error("1" + std::string(300, '0') + "Gbit/s"), "too large"));
  CHECK(contains(rate_error("2000000TB/s"), "invalid size unit"));
  CHECK(contains(rate_error("2000000000GB/s"), "too large"));
  CHECK(rate("1000000000GB/s") == doctest::Approx(1e18));
}

TEST_CASE("percentages") {
  std::string err;
  CHECK(parse_percentage("5%", &err).value() == doctest::Approx(0.05));
  CHECK(parse_percentage("0%", &err).value() == doctest::Approx(0));
  CHECK(parse_percentage("100%", &err).value() == doctest::Approx(1));
  CHECK(parse_percentage("12.5%", &err).value() == doctest::Approx(0.125));
  for (std::string_view bad : {"5", "0.5", "%", "-5%", "5 %", "5%%", "five%", ""}) {
    CAPTURE(bad);
    err.clear();
    CHECK_FALSE(parse_percentage(bad, &err).has_value());
    CHECK(contains(err, "invalid probability"));
  }
  err.clear();
  CHECK_FALSE(parse_percentage("150%", &err).has_value());
  CHECK(contains(err, "above 100%"));
}

}  // namespace
}  // namespace jinx
