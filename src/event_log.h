// The event stream (SPEC 7): one JSON object per line on stdout, or the same
// events as aligned text for people. Every event carries `ts` (wall clock),
// `t` (seconds since the timeline's t = 0) and `event`.
//
// Lines go to an EventSink (EventOutput for stdout), which queues them and
// writes when the loop is about to wait (see Session): a burst of connection
// events costs one write, yet every event is out before jinx sleeps, and a
// slow reader never blocks the loop.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "event_output.h"
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
  EventLog(EventSink& sink, EventFormat format) : sink_(sink), format_(format) {}

  // The loop clock (us) and its reading at the timeline's t = 0.
  void set_clock(std::function<Micros()> clock) { clock_ = std::move(clock); }
  void set_time_zero(Micros t0) { t0_ = t0; }
  Micros elapsed() const { return clock_() - t0_; }

  // Hides conn_* events (--quiet).
  void set_quiet(bool quiet) { quiet_ = quiet; }
  bool wants(std::string_view event) const;
  EventFormat format() const { return format_; }

  void flush() { sink_.flush(); }
  bool pending() const { return sink_.pending(); }
  // A line for people, outside any event (text format's closing summary).
  void write_text(std::string_view line) { sink_.add_line(line); }

 private:
  friend class Event;
  void write(std::string_view line) { sink_.add_line(line); }

  EventSink& sink_;
  EventFormat format_;
  bool quiet_ = false;
  std::function<Micros()> clock_ = [] { return Micros{0}; };
  Micros t0_ = 0;
};

// JSON string literal with escapes; bytes that are not UTF-8 become U+FFFD.
void append_json_string(std::string& out, std::string_view s);
bool is_valid_utf8(std::string_view s);
// "2026-11-28T22:36:16.123Z" for the current wall clock.
std::string rfc3339_now();

}  // namespace jinx
