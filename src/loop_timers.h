// The loop's microsecond wake-ups: one timerfd, watched by a uv_poll, set to
// the earliest deadline of a TimerHeap (timer_heap.h).
//
// libuv's own timers count whole milliseconds of a clock cached once per
// loop turn, so a stage that holds data for 300 µs, or a bandwidth slot due
// in 3 µs, waited one to two milliseconds (issue 11). A timerfd expires at
// the nanosecond of CLOCK_MONOTONIC, the clock loop_clock_now() reads, and
// wakes the loop's epoll like any socket.
//
// System calls are kept off the hot path: starting a timer later than the
// one the timerfd is set for, or stopping one, touches only the heap; the
// timerfd is set again only for an earlier deadline, and once after each
// expiry. A timer stopped early thus costs at most one empty wake-up. With
// nothing armed the timerfd is left unset: an idle loop sleeps.
#pragma once

#include <uv.h>

#include <string>

#include "loop_clock.h"
#include "timer_heap.h"

namespace jinx {

class LoopTimers {
 public:
  LoopTimers() = default;
  LoopTimers(const LoopTimers&) = delete;
  LoopTimers& operator=(const LoopTimers&) = delete;
  // Closes the timerfd; the poll handle must be closed by then (close(), or
  // a uv_walk closing every handle, and the loop run).
  ~LoopTimers();

  // Creates the timerfd and starts watching it on `loop`.
  bool open(uv_loop_t* loop, std::string* err);
  // Stops watching: the poll handle closes (one loop turn later).
  void close();

  // Fires `timer` once loop_clock_now() has reached `deadline`.
  void start(MicroTimer& timer, Micros deadline);
  void start_in(MicroTimer& timer, Micros delay) { start(timer, loop_clock_now() + delay); }
  size_t armed() const { return heap_.size(); }

 private:
  void on_expired();
  // Sets the timerfd to the heap's earliest deadline when that is earlier
  // than what it is set for.
  void arm_earliest();

  TimerHeap heap_;
  uv_poll_t poll_{};
  int fd_ = -1;
  Micros set_for_ = TimerHeap::kNoDeadline;  // what the timerfd expires at
  bool running_ = false;                     // inside on_expired()
};

}  // namespace jinx
