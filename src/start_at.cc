// --start-at: an RFC 3339 time or "+DUR", as a delay from now.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "commands.h"

namespace jinx {

std::optional<Micros> parse_start_at(const std::string& text, std::string* err) {
  if (!text.empty() && text[0] == '+') {
    auto d = parse_duration(std::string_view(text).substr(1), err);
    if (!d) *err = "--start-at: " + *err;
    return d;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &year, &month, &day, &hour,
                  &minute, &second, &consumed) != 6) {
    *err = "--start-at: '" + text +
           "' is neither an RFC 3339 time (2026-12-01T10:00:00Z) nor +DURATION (+30s)";
    return std::nullopt;
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  double fraction = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n])) != 0) ++n;
    fraction = std::stod("0" + rest.substr(0, n));
    rest = rest.substr(n);
  }
  long offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(rest.c_str() + 1, "%2d:%2d", &oh, &om) != 2) rest = "?";
    offset = (rest[0] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
  } else {
    *err = "--start-at: '" + text + "' needs a time zone, e.g. 'Z' or '+02:00'";
    return std::nullopt;
  }
  tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  time_t when = timegm(&parts) - offset;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  Micros now_us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  Micros target = static_cast<Micros>(when) * kMicrosPerSecond +
                  static_cast<Micros>(fraction * kMicrosPerSecond);
  if (target < now_us) {
    *err = "--start-at: " + text + " has already passed";
    return std::nullopt;
  }
  return target - now_us;
}

}  // namespace jinx
