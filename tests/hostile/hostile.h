// Shared by the hostile-peer tests (issue 6, item 4): the harness, and what
// /proc says about the jinx under test.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/types.h>

#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "byte_stream.h"
#include "clock.h"
#include "events.h"
#include "jinx_process.h"
#include "proc_stat.h"
#include "servers.h"
#include "socket.h"
#include "text.h"
#include "vocabulary.h"

namespace jinx_test {

// CPU a process used over `window` of wall time, as a share of one core.
inline double cpu_share_over(pid_t pid, ms window) {
  double before = cpu_seconds(pid);
  auto t0 = Clock::now();
  std::this_thread::sleep_for(window);
  double wall = ms_since(t0) / 1000;
  return (cpu_seconds(pid) - before) / wall;
}

// Polls `value` every 100 ms until it has not grown for `quiet`, or `limit`
// passed; returns the last value.
template <typename Value>
auto wait_plateau(Value value, ms quiet, ms limit) {
  auto deadline = Clock::now() + limit;
  auto last = value();
  auto since = Clock::now();
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    auto now = value();
    if (now != last) {
      last = now;
      since = Clock::now();
    } else if (Clock::now() - since >= quiet) {
      break;
    }
  }
  return last;
}

// SIGTERM, then a clean exit (143) within the 2 s the spec allows, plus slack.
inline void ends_cleanly(JinxProcess& jinx) {
  REQUIRE_MESSAGE(jinx.running(), "jinx died during the test\n" << jinx.describe());
  jinx.send_signal(SIGTERM);
  ExitStatus st = jinx.wait_exit(5000ms);
  CHECK_MESSAGE((st.exited && st.code == 143), st.str() << "\n" << jinx.describe());
}

}  // namespace jinx_test
