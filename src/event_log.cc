#include "event_log.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <ctime>

namespace jinx {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                ts.tv_nsec / 1000000);
  return buf;
}

Event::Event(EventLog& log, std::string_view name) : log_(log) {
  char t[32];
  std::snprintf(t, sizeof t, "%.3f", log.t());
  if (log.format() == EventFormat::json) {
    json_.reserve(256);
    json_ += "{\"ts\":";
    append_json_string(json_, rfc3339_now());
    json_ += ",\"t\":";
    json_ += t;
    json_ += ",\"event\":";
    append_json_string(json_, name);
  } else {
    char head[64];
    std::snprintf(head, sizeof head, "%9ss  %-14.*s", t, static_cast<int>(name.size()),
                  name.data());
    text_ = head;
  }
  if (!log.wants(name)) {
    json_.clear();
    text_.clear();
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
  (log_.format() == EventFormat::json ? json_ : text_) += log_.format() == EventFormat::json ? "null" : "-";
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
