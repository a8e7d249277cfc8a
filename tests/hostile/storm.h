// A connection storm: many non-blocking connects fired back to back, each
// connection sending a short message, reading its echo and closing. One
// thread and one epoll loop, so ten thousand attempts cost no threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "clock.h"

namespace jinx_test {

struct StormResult {
  uint64_t attempted = 0, echoed = 0, refused = 0, reset = 0, timed_out = 0, other = 0;
  std::map<int, uint64_t> errors;  // errno -> count, for the failures
  double wall_ms = 0;
  std::string str() const;
};

// `total` attempts against `target`, at most `in_flight` sockets open at
// once; gives up on the rest at the deadline.
StormResult run_storm(const std::string& target, uint64_t total, int in_flight, ms limit);

}  // namespace jinx_test
