// When the stages of a UDP proxy's flows are next due, on one timerfd(2).
//
// libuv's timers count whole milliseconds of a clock cached once per turn of
// the loop, so a wake-up comes up to 2 ms late; a latency of 50 ms would
// show as 51-52. A timerfd armed at an absolute CLOCK_MONOTONIC time (the
// clock of loop_clock_now) fires within the kernel's timer slack (50 us), so
// a datagram's latency is what the toxic says. One per proxy, for all of its
// flows: each flow is listed at most once, at its earliest wake-up.
#pragma once

#include <uv.h>

#include <set>
#include <utility>

#include "units.h"

namespace jinx {

class UdpFlow;

class UdpWakeups {
 public:
  explicit UdpWakeups(uv_loop_t* loop);
  UdpWakeups(const UdpWakeups&) = delete;
  UdpWakeups& operator=(const UdpWakeups&) = delete;

  // Whether the timerfd could be made; without it flows use libuv timers.
  bool available() const;
  // `flow` wants on_stage_timer() at `wake` (kNever: not at all) in place of
  // `old_wake`, which it asked for before.
  void set(UdpFlow* flow, Micros old_wake, Micros wake);
  // Closes the timerfd (the proxy is going away); set() does nothing after.
  void close();

 private:
  void arm();
  void on_fire();

  struct Handle;
  Handle* handle_ = nullptr;  // freed in its close callback
  std::set<std::pair<Micros, UdpFlow*>> due_;
};

}  // namespace jinx
