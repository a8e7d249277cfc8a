// Time in the harness: one monotonic clock, and short names for durations.
#pragma once

#include <chrono>

namespace jinx_test {

using Clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;
using namespace std::chrono_literals;

// Milliseconds from `from` to `to`, as a double (sub-millisecond precision).
inline double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

inline double ms_since(Clock::time_point from) {
  return ms_between(from, Clock::now());
}

// Remaining time until `deadline`, never negative, in whole milliseconds
// rounded up (for poll()).
inline int poll_timeout(Clock::time_point deadline) {
  auto left = std::chrono::ceil<ms>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace jinx_test
