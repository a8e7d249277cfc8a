// Where event lines go: stdout, written from the loop without ever blocking
// it (issue 9). The reader of stdout may be slow (`| sleep 600`), gone
// (`| head -1`), or a full disk (`> /dev/full`); relaying must not care.
//
// Lines wait in a bounded queue and are written whenever the descriptor
// takes them. When the queue is full, whole lines are dropped and counted;
// once it has room again the owner hears how many, so it can say so (a
// `warning`). A reader that went away and a write error are reported to the
// owner from a loop callback, never from inside add_line(), so whoever emits
// an event is never re-entered.
//
// Non-blocking writes need a file description of our own: O_NONBLOCK on the
// inherited one would change it for every process sharing it (the shell, or
// a wrapped command whose stderr is the same pipe). For a pipe or a terminal,
// /proc/self/fd/1 opens a fresh description of the same object. Anything else
// (a regular file, /dev/null, a socket) is written directly and may block;
// files and /dev/null never stall.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "units.h"

namespace jinx {

// Receives formatted event lines (EventLog writes to one).
class EventSink {
 public:
  // One whole line, ending with '\n'.
  virtual void add_line(std::string_view line) = 0;
  // Writes what is queued, as far as the reader takes it now.
  virtual void flush() = 0;
  virtual bool pending() const = 0;

 protected:
  ~EventSink() = default;
};

class EventOutputOwner {
 public:
  // The reader went away (UV_EPIPE) or writing failed (another UV_E*). Said once.
  virtual void output_failed(int error) = 0;
  // Lines were dropped since the last call and the queue has room again.
  virtual void output_dropped(uint64_t lines) = 0;

 protected:
  ~EventOutputOwner() = default;
};

class EventOutput final : public EventSink {
 public:
  static constexpr size_t kDefaultLimit = 4 * 1024 * 1024;

  // Writes to `fd` (not closed here); at most `limit` bytes wait.
  explicit EventOutput(int fd, size_t limit = kDefaultLimit);
  EventOutput(const EventOutput&) = delete;
  EventOutput& operator=(const EventOutput&) = delete;
  ~EventOutput();

  // Writes from the loop from now on, without blocking when the descriptor
  // allows it. Before start(), and after the loop closed the watcher, lines
  // are written when flushed. The watcher is closed with the loop's others.
  void start(uv_loop_t* loop, EventOutputOwner* owner);

  void add_line(std::string_view line) override;
  void flush() override;
  bool pending() const override { return sent_ < queue_.size(); }

  // After the loop: waits until every line is written, the wall-clock
  // `deadline` (ms, CLOCK_MONOTONIC) passes, or `interrupt_fd` becomes
  // readable. True when everything was written.
  bool drain(uint64_t deadline_ms, int interrupt_fd);

  uint64_t dropped() const { return dropped_total_; }
  bool non_blocking() const { return own_fd_ >= 0; }
  // 0, or the error that ended writing (UV_EPIPE when the reader went away).
  int error() const { return error_; }

 private:
  void write_now();
  void watch();
  void report();
  void on_poll(int status);

  int fd_;
  int own_fd_ = -1;  // our own non-blocking description, when there is one
  size_t limit_;
  std::string queue_;
  size_t sent_ = 0;  // bytes of queue_ already written
  uint64_t dropped_total_ = 0;
  uint64_t dropped_unreported_ = 0;
  int error_ = 0;
  bool error_reported_ = false;
  EventOutputOwner* owner_ = nullptr;
  uv_poll_t poll_{};
  bool polling_ = false;
  int watched_ = 0;  // UV_* events the poll watches
};

// Milliseconds on CLOCK_MONOTONIC (for drain deadlines).
uint64_t monotonic_ms();

}  // namespace jinx
