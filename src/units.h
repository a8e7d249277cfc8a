// Units of the scenario format (SPEC 3): durations, sizes, rates, probabilities.
// Parsers return std::nullopt and fill *err with a message for people.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jinx {

// Time on the session clock, in microseconds. Timers resolve to 1 ms, but
// keeping microseconds lets "1.5ms" and sub-millisecond jitter add up exactly.
using Micros = int64_t;
constexpr Micros kMicrosPerMs = 1000;
constexpr Micros kMicrosPerSecond = 1000 * kMicrosPerMs;

// "250ms", "1.5s", "1m30s", "0s". A bare number is an error.
std::optional<Micros> parse_duration(std::string_view text, std::string* err);
// "512", "64KiB", "1.5MB"; whole bytes.
std::optional<uint64_t> parse_size(std::string_view text, std::string* err);
// A decimal unsigned 64-bit integer: digits only, no sign, no overflow.
std::optional<uint64_t> parse_u64(std::string_view text);
// The largest size and rate (bytes, bytes/s): 1 EB, beyond any real link.
constexpr double kMaxSize = 1e18;
constexpr double kMaxRate = 1e18;
// "100KB/s", "1MiB/s", "10kbit/s", "8Mbit/s"; bytes per second, at most kMaxRate.
std::optional<double> parse_rate(std::string_view text, std::string* err);
// "5%" (a number in [0,1] is handled by the caller, which sees its type).
std::optional<double> parse_percentage(std::string_view text, std::string* err);

// Human forms, the inverse of the parsers: "1m30s", "250ms", "32MiB".
std::string format_duration(Micros d);

}  // namespace jinx
