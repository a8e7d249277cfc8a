// What the oracle tests share: the harness, and a receiver that tells lost
// datagrams from their sequence numbers.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "events.h"
#include "jinx_process.h"
#include "socket.h"
#include "tool_process.h"
#include "udp.h"
#include "vocabulary.h"

namespace jinx_test {

// Waits until something accepts TCP connections on 127.0.0.1:port.
inline void wait_tcp_listening(uint16_t port, ms within = 5000ms) {
  auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (connect_tcp(address(port), 200ms).error == 0) return;
    std::this_thread::sleep_for(20ms);
  }
  FAIL("nothing listens on " << address(port));
}

struct LossFigures {
  uint64_t lost = 0;
  uint64_t bursts = 0;  // runs of consecutive lost numbers
  double mean_burst() const {
    return bursts == 0 ? 0 : static_cast<double>(lost) / static_cast<double>(bursts);
  }
};

// Receives datagrams whose first 8 bytes are their number (0, 1, ...).
class UdpSequenceReceiver {
 public:
  UdpSequenceReceiver() : server_(UdpEchoServer::Mode::record, 0) {}
  std::string address() const { return server_.address(); }
  // Waits until `n` have arrived or `quiet` passes without one; then the
  // losses among 0..n-1.
  LossFigures figures(uint64_t n, ms quiet);

 private:
  UdpEchoServer server_;
};

inline LossFigures UdpSequenceReceiver::figures(uint64_t n, ms quiet) {
  uint64_t seen = server_.received();
  auto last_change = Clock::now();
  while (seen < n && Clock::now() - last_change < quiet) {
    std::this_thread::sleep_for(50ms);
    if (server_.received() != seen) {
      seen = server_.received();
      last_change = Clock::now();
    }
  }
  std::vector<bool> arrived(n, false);
  for (uint64_t number : server_.numbers()) {
    if (number < n) arrived[number] = true;
  }
  LossFigures f;
  for (uint64_t i = 0; i < n; ++i) {
    if (arrived[i]) continue;
    ++f.lost;
    if (i == 0 || arrived[i - 1]) ++f.bursts;
  }
  return f;
}

// Sends n datagrams numbered 0..n-1 at about `per_second`.
inline void send_numbered(UdpClient& c, uint64_t n, uint64_t per_second) {
  constexpr uint64_t kBatch = 100;
  auto start = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    char buf[64] = {};
    std::memcpy(buf, &i, sizeof i);
    REQUIRE(c.send(std::string_view(buf, sizeof buf)));
    if ((i + 1) % kBatch == 0) {
      auto due = start + std::chrono::microseconds((i + 1) * 1000000 / per_second);
      std::this_thread::sleep_until(due);
    }
  }
}

}  // namespace jinx_test
