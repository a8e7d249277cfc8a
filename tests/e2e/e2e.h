// Shared by the end-to-end tests: harness headers and a few helpers that
// read like the tests' vocabulary.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "byte_stream.h"
#include "clock.h"
#include "events.h"
#include "jinx_process.h"
#include "proc_stat.h"
#include "servers.h"
#include "socket.h"
#include "temp_dir.h"
#include "text.h"
#include "vocabulary.h"

namespace jinx_test {

// Proxy "p" in front of `upstream`, with one toxic of `type` named `name`;
// `keys` are its further lines.
inline std::string toxic_scenario(const std::string& upstream, const std::string& name,
                                  const std::string& type, const std::string& keys) {
  return proxy_toml("p", upstream) + "[[toxic]]\nname = \"" + name +
         "\"\nproxy = \"p\"\ntype = \"" + type + "\"\n" + keys + "\n";
}

// Timing tolerances for toxics on a loaded 2-core machine: scheduling delays
// add, never subtract, except for a stale loop clock (about 1-2 ms); the
// targets are 10 ms on an idle one.
constexpr double kEarly = 2.0, kLate = 60.0;

// Delivery rate in bytes/s: the least-squares slope of bytes received so
// far over arrival time. On a loaded machine a chunk read late moves one
// point; a (last - first) quotient would take the whole delay on the
// figure. 0 with fewer than two arrivals.
inline double fitted_rate(const IoResult& r) {
  if (r.arrivals.size() < 2) return 0;
  double n = 0, st = 0, sb = 0, stt = 0, stb = 0, total = 0;
  for (const Arrival& a : r.arrivals) {
    total += static_cast<double>(a.bytes);
    double t = ms_between(r.arrivals.front().at, a.at) / 1000;
    n += 1;
    st += t;
    sb += total;
    stt += t * t;
    stb += t * total;
  }
  double var = n * stt - st * st;
  return var > 0 ? (n * stb - st * sb) / var : 0;
}

// One request/response of n bytes through an echo upstream; the round trip
// in ms. Fails the test if the echo does not come back intact.
inline double echo_rtt_ms(int fd, size_t n = 32, uint64_t seed = 99) {
  std::string msg = stream_bytes(seed, n);
  auto t0 = Clock::now();
  IoResult s = send_all(fd, msg);
  REQUIRE_MESSAGE(s.ok(), "send: " << s.str());
  IoResult r = read_exactly(fd, n, 5000ms);
  auto t1 = Clock::now();
  REQUIRE_MESSAGE(r.bytes == n, "echo read: " << r.str());
  CHECK(r.data == msg);
  return ms_between(t0, t1);
}

// Connects, retrying every 10 ms for up to `within`, until the result
// satisfies want(error). Returns the last result.
template <typename Want>
ConnectResult connect_until(const std::string& addr, ms within, Want want) {
  auto deadline = Clock::now() + within;
  for (;;) {
    ConnectResult r = connect_tcp(addr, 1000ms);
    if (want(r.error) || Clock::now() >= deadline) return r;
    std::this_thread::sleep_for(10ms);
  }
}

// Does the conn_close event list `toxic` among the toxics that applied?
inline bool lists_toxic(const json& close, const std::string& toxic) {
  auto it = close.find("toxics");
  if (it == close.end() || !it->is_array()) return false;
  return std::find(it->begin(), it->end(), json(toxic)) != it->end();
}

inline std::string errname(int e) {
  return e ? std::strerror(e) : "no error";
}

}  // namespace jinx_test
