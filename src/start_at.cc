// --start-at: an RFC 3339 time or "+DUR", as a delay from now.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "commands.h"

namespace jinx {
namespace {

bool digits_at(const std::string& s, size_t from, size_t count) {
  if (s.size() < from + count) return false;
  for (size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// "YYYY-MM-DDTHH:MM:SS" at the start of `text`, as seconds since the epoch
// (UTC). Read with strptime and checked by turning it back into the same
// fields, so that 2026-02-30 or a 13th month is refused, not carried over.
std::optional<time_t> date_time(const std::string& text) {
  bool shape = digits_at(text, 0, 4) && text[4] == '-' && digits_at(text, 5, 2) && text[7] == '-' &&
               digits_at(text, 8, 2) && (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
               digits_at(text, 11, 2) && text[13] == ':' && digits_at(text, 14, 2) &&
               text[16] == ':' && digits_at(text, 17, 2);
  if (!shape) return std::nullopt;
  std::string head = text.substr(0, 19);
  head[10] = 'T';
  tm parts{};
  const char* end = strptime(head.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  tm asked = parts;
  time_t when = timegm(&parts);
  tm back{};
  gmtime_r(&when, &back);
  if (back.tm_year != asked.tm_year || back.tm_mon != asked.tm_mon ||
      back.tm_mday != asked.tm_mday || back.tm_hour != asked.tm_hour ||
      back.tm_min != asked.tm_min || back.tm_sec != asked.tm_sec) {
    return std::nullopt;
  }
  return when;
}

// The time zone after the seconds: "Z" or "+HH:MM" / "-HH:MM" (at most
// 23:59), as seconds east of UTC.
std::optional<long> zone_offset(const std::string& zone) {
  if (zone == "Z" || zone == "z") return 0;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !digits_at(zone, 1, 2) ||
      zone[3] != ':' || !digits_at(zone, 4, 2)) {
    return std::nullopt;
  }
  long hours = std::stol(zone.substr(1, 2));
  long minutes = std::stol(zone.substr(4, 2));
  if (hours > 23 || minutes > 59) return std::nullopt;
  return (zone[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
}

}  // namespace

std::optional<Micros> parse_start_at(const std::string& text, Micros now_us, std::string* err) {
  if (!text.empty() && text[0] == '+') {
    auto d = parse_duration(std::string_view(text).substr(1), err);
    if (!d) *err = "--start-at: " + *err;
    return d;
  }
  std::optional<time_t> when = text.size() >= 19 ? date_time(text) : std::nullopt;
  if (!when) {
    *err = "--start-at: '" + text +
           "' is neither a real RFC 3339 time (2026-12-01T10:00:00Z) nor +DURATION (+30s)";
    return std::nullopt;
  }
  std::string rest = text.substr(19);
  Micros fraction = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    Micros scale = kMicrosPerSecond / 10;
    for (; n < rest.size() && rest[n] >= '0' && rest[n] <= '9'; ++n, scale /= 10) {
      fraction += (rest[n] - '0') * scale;
    }
    rest = n > 1 ? rest.substr(n) : "?";
  }
  std::optional<long> offset = zone_offset(rest);
  if (!offset) {
    *err = "--start-at: '" + text + "' needs a time zone, 'Z' or '+HH:MM' (at most 23:59)";
    return std::nullopt;
  }
  Micros target = static_cast<Micros>(*when - *offset) * kMicrosPerSecond + fraction;
  if (target < now_us) {
    *err = "--start-at: " + text + " has already passed";
    return std::nullopt;
  }
  return target - now_us;
}

std::optional<Micros> parse_start_at(const std::string& text, std::string* err) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return parse_start_at(text, std::chrono::duration_cast<std::chrono::microseconds>(now).count(),
                        err);
}

}  // namespace jinx
