#include "event_log.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <ctime>

namespace jinx {

namespace {

// Length of the valid UTF-8 sequence at the start of `s` (s non-empty, its
// first byte >= 0x80), or 0 if it is not one: overlong forms, surrogates and
// code points past U+10FFFF are invalid too (RFC 3629).
size_t utf8_sequence(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  if (length == 0 || s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  unsigned char second = byte(1);
  if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
  if (lead == 0xED && second > 0x9F) return 0;  // surrogate
  if (lead == 0xF0 && second < 0x90) return 0;  // overlong
  if (lead == 0xF4 && second > 0x8F) return 0;  // past U+10FFFF
  return length;
}

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  while (!s.empty()) {
    // Runs of plain ASCII are appended whole; the rest goes one piece at a time.
    size_t plain = 0;
    while (plain < s.size()) {
      auto c = static_cast<unsigned char>(s[plain]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++plain;
    }
    out.append(s.data(), plain);
    s.remove_prefix(plain);
    if (s.empty()) break;
    auto c = static_cast<unsigned char>(s[0]);
    if (c < 0x80) {
      append_escape(out, c);
      s.remove_prefix(1);
    } else if (size_t n = utf8_sequence(s); n > 0) {
      out.append(s.data(), n);
      s.remove_prefix(n);
    } else {
      // Not UTF-8 (argv and messages may hold any bytes): U+FFFD, so every
      // line stays valid JSON.
      out += "\xEF\xBF\xBD";
      s.remove_prefix(1);
    }
  }
  out += '"';
}

bool is_valid_utf8(std::string_view s) {
  while (!s.empty()) {
    size_t n = static_cast<unsigned char>(s[0]) < 0x80 ? 1 : utf8_sequence(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string rfc3339_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  // Busy sessions print thousands of events a second: the date and time are
  // formatted once per second, the milliseconds every time.
  static time_t cached_second = -1;
  static char cached[64];
  if (ts.tv_sec != cached_second) {
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    cached_second = ts.tv_sec;
  }
  long ms = ts.tv_nsec / 1000000;
  std::string out(cached);
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out += 'Z';
  return out;
}

namespace {

// Seconds with three decimals ("-1.000", "12.345"), without printf.
void append_seconds(std::string& out, Micros us) {
  if (us < 0) {
    out += '-';
    us = -us;
  }
  long long ms = (us + 500) / kMicrosPerMs;
  out += std::to_string(ms / 1000);
  out += '.';
  out += static_cast<char>('0' + ms % 1000 / 100);
  out += static_cast<char>('0' + ms % 100 / 10);
  out += static_cast<char>('0' + ms % 10);
}

// A value in a text event: as it is when that is unambiguous, else quoted
// and escaped as JSON, so one event stays one line and `,` in a list
// element cannot split it.
void append_text_value(std::string& out, std::string_view value, std::string_view separators = "") {
  bool plain = !value.empty() && is_valid_utf8(value) &&
               std::none_of(value.begin(), value.end(), [&](char c) {
                 return c == ' ' || c == '"' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f ||
                        separators.find(c) != std::string_view::npos;
               });
  if (plain) {
    out += value;
  } else {
    append_json_string(out, value);
  }
}

// `value` with `decimals` digits after the point, as printf's "%.*f" but
// without its cost (an http_request event has two such numbers, and there is
// one event per request). False when out of the range this handles.
bool append_fixed(std::string& out, double value, int decimals) {
  constexpr int kMaxDecimals = 6;
  static constexpr long long kScale[kMaxDecimals + 1] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  if (decimals < 0 || decimals > kMaxDecimals || std::fabs(value) >= 1e12) return false;
  long long scaled = std::llround(std::fabs(value) * static_cast<double>(kScale[decimals]));
  if (value < 0) out += '-';
  out += std::to_string(scaled / kScale[decimals]);
  if (decimals == 0) return true;
  out += '.';
  long long fraction = scaled % kScale[decimals];
  for (long long unit = kScale[decimals] / 10; unit > 0; unit /= 10) {
    out += static_cast<char>('0' + fraction / unit % 10);
  }
  return true;
}

}  // namespace

Event::Event(EventLog& log, std::string_view name) : log_(log) {
  // An event nobody wants (--quiet) costs nothing: every field call below
  // sees both buffers empty and returns.
  if (!log.wants(name)) return;
  std::string t;
  append_seconds(t, log.elapsed());
  if (log.format() == EventFormat::json) {
    json_.reserve(256);
    json_ += "{\"ts\":\"";
    json_ += rfc3339_now();
    json_ += "\",\"t\":";
    json_ += t;
    json_ += ",\"event\":";
    append_json_string(json_, name);
  } else {
    char head[64];
    std::snprintf(head, sizeof head, "%9ss  %-14.*s", t.c_str(), static_cast<int>(name.size()),
                  name.data());
    text_ = head;
  }
}

Event::~Event() {
  if (log_.format() == EventFormat::json) {
    if (json_.empty()) return;
    json_ += "}\n";
    log_.write(json_);
  } else {
    if (text_.empty()) return;
    while (!text_.empty() && text_.back() == ' ') text_.pop_back();
    text_ += '\n';
    log_.write(text_);
  }
}

void Event::key(std::string_view k) {
  if (log_.format() == EventFormat::json) {
    json_ += ',';
    append_json_string(json_, k);
    json_ += ':';
  } else {
    text_ += ' ';
    text_ += k;
    text_ += '=';
  }
}

Event& Event::str(std::string_view k, std::string_view value) {
  if (json_.empty() && text_.empty()) return *this;
  key(k);
  if (log_.format() == EventFormat::json) {
    append_json_string(json_, value);
  } else {
    append_text_value(text_, value);
  }
  return *this;
}

Event& Event::num(std::string_view k, int64_t value) {
  if (json_.empty() && text_.empty()) return *this;
  key(k);
  (log_.format() == EventFormat::json ? json_ : text_) += std::to_string(value);
  return *this;
}

Event& Event::num(std::string_view k, uint64_t value) {
  if (json_.empty() && text_.empty()) return *this;
  key(k);
  (log_.format() == EventFormat::json ? json_ : text_) += std::to_string(value);
  return *this;
}

Event& Event::num(std::string_view k, double value, int decimals) {
  if (json_.empty() && text_.empty()) return *this;
  key(k);
  std::string& out = log_.format() == EventFormat::json ? json_ : text_;
  if (!std::isfinite(value)) {
    out += "null";
  } else if (!append_fixed(out, value, decimals)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    out += buf;
  }
  return *this;
}

Event& Event::null(std::string_view k) {
  if (json_.empty() && text_.empty()) return *this;
  key(k);
  (log_.format() == EventFormat::json ? json_ : text_) +=
      log_.format() == EventFormat::json ? "null" : "-";
  return *this;
}

Event& Event::strings(std::string_view k, const std::string* begin, const std::string* end) {
  if (json_.empty() && text_.empty()) return *this;
  key(k);
  if (log_.format() == EventFormat::json) {
    json_ += '[';
    for (const auto* it = begin; it != end; ++it) {
      if (it != begin) json_ += ',';
      append_json_string(json_, *it);
    }
    json_ += ']';
  } else {
    for (const auto* it = begin; it != end; ++it) {
      if (it != begin) text_ += ',';
      append_text_value(text_, *it, ",");
    }
    if (begin == end) text_ += '-';
  }
  return *this;
}

Event& Event::object(std::string_view k, std::string_view json, std::string_view text) {
  if (json_.empty() && text_.empty()) return *this;
  if (log_.format() == EventFormat::json) {
    key(k);
    json_ += json;
  } else if (!text.empty()) {
    text_ += ' ';
    text_ += text;
  }
  return *this;
}

bool EventLog::wants(std::string_view event) const {
  // Per-connection and per-flow events: a storm of either would drown the rest.
  return !(quiet_ && (event.substr(0, 5) == "conn_" || event.substr(0, 5) == "flow_"));
}

}  // namespace jinx
