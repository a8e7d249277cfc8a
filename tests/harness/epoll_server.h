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
#include <string>
#include <thread>

namespace jinx_test {

enum class ServeMode { echo, sink, source, select };

class EpollServer {
 public:
  EpollServer() = default;
  // Listens on 127.0.0.1, port 0, and serves on a thread of its own;
  // throws std::runtime_error if it cannot listen.
  explicit EpollServer(ServeMode mode);
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
  void want(Conn* c, uint32_t events);
  void drop(Conn* c, bool finished);

  ServeMode mode_ = ServeMode::echo;
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
