#include "event_log.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <ctime>

namespace jinx {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  // Runs of plain characters are appended whole; only escapes go one by one.
  size_t plain = 0;
  while (plain < s.size()) {
    auto c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++plain;
  }
  out.append(s.data(), plain);
  s.remove_prefix(plain);
  for (unsigned char c : s) {
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
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
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
  } else if (value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
               return c == ' ' || c == '"' || static_cast<unsigned char>(c) < 0x20;
             })) {
    // Quoted and escaped, so one event stays one line.
    append_json_string(text_, value);
  } else {
    text_ += value;
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
  char buf[64];
  if (!std::isfinite(value)) {
    std::snprintf(buf, sizeof buf, "null");
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  }
  (log_.format() == EventFormat::json ? json_ : text_) += buf;
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
      text_ += *it;
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
  return !(quiet_ && event.substr(0, 5) == "conn_");
}

void EventLog::write(std::string_view line) {
  buffer_ += line;
  if (buffer_.size() > 64 * 1024) flush();
}

void EventLog::flush() {
  if (buffer_.empty()) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  std::fflush(out_);
  buffer_.clear();
}

}  // namespace jinx
