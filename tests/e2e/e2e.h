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

// Prints a measured figure (configured value beside measured one) on
// stdout, without the INFO context that doctest's MESSAGE would repeat.
#define MEASURED(...)                                           \
  do {                                                          \
    std::ostringstream measured_;                               \
    measured_ << __VA_ARGS__;                                   \
    std::cout << "[measured] " << measured_.str() << std::endl; \
  } while (0)

namespace jinx_test {

constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;

// A [[proxy]] table listening on 127.0.0.1, port 0.
inline std::string proxy_toml(const std::string& name, const std::string& upstream,
                              const std::string& extra = "") {
  return "[[proxy]]\nname = \"" + name + "\"\nlisten = \"127.0.0.1:0\"\nupstream = \"" + upstream +
         "\"\n" + extra + "\n";
}

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
