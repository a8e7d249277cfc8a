// The session clock on the loop: microseconds of the monotonic clock, read
// fresh at each call, and timer timeouts that never fire before their time.
//
// libuv's own clock (uv_now) is in whole milliseconds and cached at the start
// of each loop turn, so a chunk stamped with it could be up to a few
// milliseconds older than its real read time, and a latency measured from it
// came in short (issue 9 #11: 19.48 ms for 20 ms). uv_hrtime is the same
// monotonic clock at full resolution.
#pragma once

#include <uv.h>

#include <cstdint>

#include "units.h"

namespace jinx {

inline Micros loop_clock_now() {
  return static_cast<Micros>(uv_hrtime() / 1000);
}

// The timeout to give uv_timer_start so that the timer fires no earlier than
// `wake` (loop_clock_now() time). libuv fires a timer once its cached time
// (whole ms of the same clock, never ahead of uv_hrtime) reaches uv_now() +
// timeout, so aim at the first whole millisecond at or after `wake`.
inline uint64_t timer_ms_until(const uv_loop_t* loop, Micros wake) {
  Micros due_ms = (wake + kMicrosPerMs - 1) / kMicrosPerMs;
  auto now_ms = static_cast<Micros>(uv_now(loop));
  return due_ms > now_ms ? static_cast<uint64_t>(due_ms - now_ms) : 0;
}

}  // namespace jinx
