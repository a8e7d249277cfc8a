// UDP on loopback for the tests: an upstream that echoes (or stays silent) on
// its own thread, and a client with a connected socket of its own port.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "clock.h"
#include "socket.h"
#include "vocabulary.h"

struct sockaddr_in;

namespace jinx_test {

// 127.0.0.1:port as a socket address.
sockaddr_in loopback_udp(uint16_t port);
// A UDP socket bound to 127.0.0.1:port (0: any) with a receive buffer of
// `rcvbuf` bytes, beyond net.core.rmem_max where allowed: bursts wait in
// the kernel, so what is counted is what the relay dropped. Throws on error.
Socket bound_udp(uint16_t port, int rcvbuf = 4 << 20);
// The local port of a bound socket.
uint16_t local_port_of(int fd);

// A socket bound to 127.0.0.1:0 (or `port`) that echoes every datagram to its
// sender, or, silent, only counts them; record also keeps the number each
// one carries in its first 8 bytes.
class UdpEchoServer {
 public:
  enum class Mode { echo, silent, record };
  explicit UdpEchoServer(Mode mode = Mode::echo, uint16_t port = 0);
  ~UdpEchoServer();
  UdpEchoServer(const UdpEchoServer&) = delete;
  UdpEchoServer& operator=(const UdpEchoServer&) = delete;

  std::string address() const { return jinx_test::address(port_); }
  uint16_t port() const { return port_; }
  uint64_t received() const { return received_.load(); }
  std::vector<uint64_t> numbers() const;

 private:
  void run();
  Socket sock_;
  int stop_[2] = {-1, -1};  // a pipe: written to stop the thread
  uint16_t port_ = 0;
  Mode mode_;
  std::atomic<uint64_t> received_{0};
  mutable std::mutex mu_;
  std::vector<uint64_t> numbers_;
  std::thread thread_;
};

// A UDP socket on 127.0.0.1, any port, connected to `hostport`.
class UdpClient {
 public:
  explicit UdpClient(const std::string& hostport);
  bool send(std::string_view data);
  // The next datagram, or nothing within `timeout`.
  std::optional<std::string> receive(ms timeout);
  int fd() const { return sock_.fd(); }
  uint16_t local_port() const;

 private:
  Socket sock_;
};

// A UDP port on 127.0.0.1 with nothing bound to it (bound, then closed).
uint16_t closed_udp_port();

}  // namespace jinx_test
