#include "units.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace jinx {
namespace {

// Reads a non-negative decimal number ("12", "1.5", ".5") at the front of text.
std::optional<double> take_number(std::string_view& text) {
  size_t n = 0;
  bool digits = false;
  while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) != 0)) {
    ++n;
    digits = true;
  }
  if (n < text.size() && text[n] == '.') {
    ++n;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) != 0)) {
      ++n;
      digits = true;
    }
  }
  if (!digits) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + n, value);
  if (ec != std::errc() || end != text.data() + n) return std::nullopt;
  text.remove_prefix(n);
  return value;
}

std::string_view take_letters(std::string_view& text) {
  size_t n = 0;
  while (n < text.size() && (std::isalpha(static_cast<unsigned char>(text[n])) != 0)) ++n;
  auto letters = text.substr(0, n);
  text.remove_prefix(n);
  return letters;
}

std::optional<double> size_multiplier(std::string_view unit) {
  if (unit.empty() || unit == "B") return 1.0;
  if (unit == "KB") return 1e3;
  if (unit == "MB") return 1e6;
  if (unit == "GB") return 1e9;
  if (unit == "KiB") return 1024.0;
  if (unit == "MiB") return 1024.0 * 1024;
  if (unit == "GiB") return 1024.0 * 1024 * 1024;
  return std::nullopt;
}

std::optional<double> parse_size_value(std::string_view text, std::string* err) {
  std::string_view rest = text;
  auto number = take_number(rest);
  if (!number) {
    *err = "invalid size '" + std::string(text) + "'; expected e.g. \"512\", \"64KiB\", \"1.5MB\"";
    return std::nullopt;
  }
  auto unit = take_letters(rest);
  auto mult = size_multiplier(unit);
  if (!mult || !rest.empty()) {
    *err = "invalid size unit in '" + std::string(text) +
           "'; units are B, KB, MB, GB (powers of 1000), KiB, MiB, GiB (powers of 1024)";
    return std::nullopt;
  }
  return *number * *mult;
}

}  // namespace

std::optional<Micros> parse_duration(std::string_view text, std::string* err) {
  if (text.empty()) {
    *err = "empty duration; expected e.g. \"250ms\"";
    return std::nullopt;
  }
  std::string_view rest = text;
  double total = 0;
  while (!rest.empty()) {
    auto number = take_number(rest);
    if (!number) {
      *err = "invalid duration '" + std::string(text) + "'; expected e.g. \"250ms\", \"1m30s\"";
      return std::nullopt;
    }
    auto unit = take_letters(rest);
    double scale = 0;
    if (unit == "us")
      scale = 1;
    else if (unit == "ms")
      scale = 1e3;
    else if (unit == "s")
      scale = 1e6;
    else if (unit == "m")
      scale = 60e6;
    else if (unit == "h")
      scale = 3600e6;
    else if (unit.empty() && rest.empty()) {
      *err = "duration needs a unit, e.g. \"250ms\"";
      return std::nullopt;
    } else if (unit.empty()) {
      *err = "invalid duration '" + std::string(text) + "'; expected e.g. \"250ms\", \"1m30s\"";
      return std::nullopt;
    } else {
      *err = "unknown duration unit '" + std::string(unit) + "' in '" + std::string(text) +
             "'; units are us, ms, s, m, h";
      return std::nullopt;
    }
    total += *number * scale;
  }
  if (total > 1e17) {
    *err = "duration '" + std::string(text) + "' is too long";
    return std::nullopt;
  }
  return static_cast<Micros>(std::llround(total));
}

std::optional<uint64_t> parse_size(std::string_view text, std::string* err) {
  auto value = parse_size_value(text, err);
  if (!value) return std::nullopt;
  if (!(*value <= kMaxSize)) {
    *err = "size '" + std::string(text) + "' is too large";
    return std::nullopt;
  }
  if (*value != std::floor(*value)) {
    *err = "size '" + std::string(text) + "' is not a whole number of bytes";
    return std::nullopt;
  }
  return static_cast<uint64_t>(*value);
}

namespace {

// Rates are bounded like sizes, so no value ends as "inf" in the events.
std::optional<double> bounded_rate(std::string_view text, double value, std::string* err) {
  if (!(value <= kMaxRate)) {
    *err = "rate '" + std::string(text) + "' is too large";
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<double> parse_rate(std::string_view text, std::string* err) {
  auto slash = text.rfind("/s");
  if (slash == std::string_view::npos || slash + 2 != text.size()) {
    *err = "invalid rate '" + std::string(text) +
           "'; expected bytes per second as a number, or e.g. \"100KB/s\", \"8Mbit/s\"";
    return std::nullopt;
  }
  std::string_view body = text.substr(0, slash);
  std::string_view rest = body;
  auto number = take_number(rest);
  auto unit = take_letters(rest);
  if (number && rest.empty() && unit.size() >= 3 && unit.substr(unit.size() - 3) == "bit") {
    auto prefix = unit.substr(0, unit.size() - 3);
    double scale = 0;
    if (prefix.empty())
      scale = 1;
    else if (prefix == "k" || prefix == "K")
      scale = 1e3;
    else if (prefix == "M")
      scale = 1e6;
    else if (prefix == "G")
      scale = 1e9;
    if (scale == 0) {
      *err =
          "invalid rate unit in '" + std::string(text) + "'; bit units are bit, kbit, Mbit, Gbit";
      return std::nullopt;
    }
    return bounded_rate(text, *number * scale / 8, err);
  }
  auto value = parse_size_value(body, err);
  if (!value) return std::nullopt;
  return bounded_rate(text, *value, err);
}

std::optional<double> parse_percentage(std::string_view text, std::string* err) {
  std::string_view rest = text;
  auto number = take_number(rest);
  if (!number || rest != "%") {
    *err = "invalid probability '" + std::string(text) +
           "'; expected a number in [0, 1] or a percentage like \"5%\"";
    return std::nullopt;
  }
  if (*number > 100) {
    *err = "probability '" + std::string(text) + "' is above 100%";
    return std::nullopt;
  }
  return *number / 100;
}

std::string format_duration(Micros d) {
  if (d == 0) return "0s";
  char buf[64];
  if (d < kMicrosPerSecond) {
    if (d % kMicrosPerMs == 0) {
      std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(d / kMicrosPerMs));
    } else {
      std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(d));
    }
    return buf;
  }
  long long hours = d / (3600 * kMicrosPerSecond);
  long long minutes = d / (60 * kMicrosPerSecond) % 60;
  long long seconds = d / kMicrosPerSecond % 60;
  long long micros = d % kMicrosPerSecond;
  std::string out;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(seconds);
  if (micros > 0) {
    // Decimals of a second, exact to the microsecond: "1.5s", "10m0.000064s".
    std::snprintf(buf, sizeof buf, ".%06lld", micros);
    std::string fraction = buf;
    while (fraction.back() == '0') fraction.pop_back();
    out += fraction;
  }
  return out + "s";
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace jinx
