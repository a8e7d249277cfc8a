// Client-side TCP helpers over 127.0.0.1: an owning Socket, connect with a
// timeout, and reads and writes that never wait past their deadline.
//
// Every call reports what happened (bytes moved, EOF, errno, timeout) rather
// than throwing, so a test can assert on ECONNREFUSED or ECONNRESET.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"

namespace jinx_test {

// Owns a file descriptor; move-only.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { close(); }
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership of the descriptor.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void close();
  // Closes with SO_LINGER 0: the peer gets a TCP RST.
  void reset();
  // shutdown(SHUT_WR): sends FIN, keeps reading.
  bool shutdown_write();

 private:
  int fd_ = -1;
};

// "host:port" with an IPv4 host.
std::string address(uint16_t port);  // "127.0.0.1:PORT"
uint16_t port_of(const std::string& hostport);

struct ConnectResult {
  Socket sock;
  int error = 0;  // 0 on success, else errno (ECONNREFUSED, ETIMEDOUT, ...)
};
// Connects (TCP_NODELAY set). The socket stays blocking; the helpers below
// use non-blocking calls with their own deadlines.
ConnectResult connect_tcp(const std::string& hostport, ms timeout = 3000ms);
// Connects or throws std::runtime_error naming the address and error.
Socket connect_or_throw(const std::string& hostport, ms timeout = 3000ms);

struct Arrival {
  Clock::time_point at;
  size_t bytes;
};

struct IoResult {
  uint64_t bytes = 0;             // bytes sent or received
  bool eof = false;               // peer's FIN seen
  int error = 0;                  // errno of the failed call (ECONNRESET, EPIPE...)
  bool timed_out = false;         // deadline reached first
  std::string data;               // received bytes, when kept
  uint64_t digest = 0;            // FNV-1a 64 of received bytes
  std::vector<Arrival> arrivals;  // each recv() that returned data
  Clock::time_point eof_at{};     // when EOF or the error was seen
  bool ok() const { return !eof && !error && !timed_out; }
  std::string str() const;  // for failure messages
};

IoResult send_all(int fd, std::string_view data, ms timeout = 5000ms);
// Sends bytes [offset, offset+n) of stream `seed` (see byte_stream.h).
IoResult send_stream(int fd, uint64_t seed, uint64_t n, ms timeout, uint64_t offset = 0);

// Blocking send of all n bytes (on a blocking socket: no deadline);
// returns 0 or errno.
int send_blocking(int fd, const char* data, size_t n);

// Reads exactly n bytes (fewer if EOF, error or timeout come first).
IoResult read_exactly(int fd, size_t n, ms timeout = 5000ms);
// Reads until EOF or error; keep=false only digests and counts.
IoResult read_until_eof(int fd, ms timeout, bool keep = true);
// Reads whatever arrives during `window` (stops early on EOF or error).
IoResult read_for(int fd, ms window, bool keep = true);

// "ip:port" of the local end of a connected socket.
std::string local_address(int fd);

// A port on 127.0.0.1 that nothing listens on: bound to port 0, then closed.
uint16_t closed_port();
// A socket listening on 127.0.0.1 on a free port (kept open by the caller).
Socket listen_any(uint16_t* port, int backlog = 512);

}  // namespace jinx_test
