// An upstream for thousands of connections: one thread, one epoll loop,
// non-blocking sockets, echoing, sinking or sourcing bytes on every
// connection at once (the servers of servers.h use a thread per connection,
// which a 10,000-connection storm cannot afford). The upstream of the bench
// and of the hostile-peer storms.
//
// The bench runs one Server in "select" mode as the upstream of every relay:
// the first byte a client sends picks what the server does with that
// connection, so one upstream (and one relay instance) serves bulk uploads,
// bulk downloads, ping-pong and idle connections alike:
//
//   'e'  echo   — every byte, the first included, is sent back;
//   's'  sink   — every byte is read, counted and dropped;
//   'o'  source — the server writes a fixed pattern as fast as it can;
//   none        — the connection just sits there (idle-memory test).
//
// jinx-loopback runs one in a fixed mode (echo or sink) in the foreground;
// the hostile storms run an echo one on a thread of its own. An echo
// connection ends after the peer's FIN, once everything it read went back.
// Counters are atomics read by the measuring thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace jinx_test {

enum class ServeMode { echo, sink, source, select };

// What a connection does, chosen from its first byte in select mode.
struct Service {
  ServeMode mode = ServeMode::echo;  // echo, sink or source
  bool first_byte_is_data = true;    // false: a request code, neither echoed nor sunk
  // source: this many bytes, then FIN (the server still reads until the
  // peer's FIN, so it never closes with unread data); 0 sends without end.
  uint64_t bytes = 0;
  // source: up to *n bytes of the stream from pos (fewer is fine); unset,
  // the letters a..z over and over.
  std::function<const char*(uint64_t pos, size_t* n)> data;
};
// The bench's codes: 'e' echo, 's' sink, 'o' source; anything else echo.
Service bench_service(unsigned char first);
using Selector = std::function<Service(unsigned char first)>;

class EpollServer {
 public:
  EpollServer() = default;
  // Listens on 127.0.0.1, port 0, and serves on a thread of its own;
  // throws std::runtime_error if it cannot listen.
  explicit EpollServer(ServeMode mode);
  // The same in select mode, with services of the caller's (the soak's).
  explicit EpollServer(Selector select);
  ~EpollServer();
  EpollServer(const EpollServer&) = delete;
  EpollServer& operator=(const EpollServer&) = delete;

  // Takes over a listening socket (any address; see the bench's listen_tcp).
  void listen_on(int listen_fd, ServeMode mode);
  uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"

  void start();  // serve on a new thread
  void serve();  // serve on this thread until stop()
  void stop();   // wakes the loop, joins the thread, closes every connection

  // Bytes read from clients by sink connections, written by source
  // connections, echoed by echo connections; connections open right now.
  uint64_t sunk() const { return sunk_.load(std::memory_order_relaxed); }
  uint64_t sourced() const { return sourced_.load(std::memory_order_relaxed); }
  uint64_t echoed() const { return echoed_.load(std::memory_order_relaxed); }
  int64_t open_connections() const { return open_.load(std::memory_order_relaxed); }
  uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  // Connections closed after the peer's FIN, and those ended by an error (RST).
  uint64_t finished() const { return finished_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  struct Conn;
  void loop();
  void accept_all();
  void on_event(Conn* c, uint32_t events);
  void on_readable(Conn* c);
  void on_writable(Conn* c);
  void write_source(Conn* c);
  void end_source(Conn* c);
  void want(Conn* c, uint32_t events);
  void drop(Conn* c, bool finished);

  ServeMode mode_ = ServeMode::echo;
  Selector select_ = bench_service;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> sunk_{0}, sourced_{0}, echoed_{0}, accepted_{0}, finished_{0}, failed_{0};
  std::atomic<int64_t> open_{0};
  Conn* head_ = nullptr;  // every live connection, to close them at stop()
};

}  // namespace jinx_test
