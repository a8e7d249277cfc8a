// The event stream (SPEC 7): one JSON object per line on stdout, or the same
// events as aligned text for people. Every event carries `ts` (wall clock),
// `t` (seconds since the timeline's t = 0) and `event`.
//
// Lines are buffered and written when the loop is about to wait (see
// Session), so a burst of connection events costs one write, yet every event
// is out before jinx sleeps.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "units.h"

namespace jinx {

enum class EventFormat { json, text };

class EventLog;

// Builds one event; written to the log when it goes out of scope.
class Event {
 public:
  Event(EventLog& log, std::string_view name);
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();

  Event& str(std::string_view key, std::string_view value);
  Event& num(std::string_view key, int64_t value);
  Event& num(std::string_view key, uint64_t value);
  Event& num(std::string_view key, double value, int decimals);
  Event& null(std::string_view key);
  Event& strings(std::string_view key, const std::string* begin, const std::string* end);
  // A nested object from pre-rendered parts: JSON `{"k":v,...}` and text `k=v ...`.
  Event& object(std::string_view key, std::string_view json, std::string_view text);

 private:
  void key(std::string_view k);
  EventLog& log_;
  std::string json_;
  std::string text_;
};

class EventLog {
 public:
  EventLog(FILE* out, EventFormat format) : out_(out), format_(format) {}

  // The loop clock (us) and its reading at the timeline's t = 0.
  void set_clock(std::function<Micros()> clock) { clock_ = std::move(clock); }
  void set_time_zero(Micros t0) { t0_ = t0; }
  double t() const { return static_cast<double>(elapsed()) / 1e6; }
  Micros elapsed() const { return clock_() - t0_; }

  // Hides conn_* events (--quiet).
  void set_quiet(bool quiet) { quiet_ = quiet; }
  bool wants(std::string_view event) const;
  EventFormat format() const { return format_; }

  void flush();
  bool pending() const { return !buffer_.empty(); }

 private:
  friend class Event;
  void write(std::string_view line);

  FILE* out_;
  EventFormat format_;
  bool quiet_ = false;
  std::function<Micros()> clock_ = [] { return Micros{0}; };
  Micros t0_ = 0;
  std::string buffer_;
};

// JSON string literal with escapes.
void append_json_string(std::string& out, std::string_view s);
// "2026-11-28T22:36:16.123Z" for the current wall clock.
std::string rfc3339_now();

}  // namespace jinx
