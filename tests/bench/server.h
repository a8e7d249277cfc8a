// server.h — the upstream side of every measurement: one epoll loop that
// echoes, sinks or sources bytes on many connections at once.
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
// jinx-loopback runs a Server in a fixed mode (echo or sink) in the
// foreground. Counters are atomics read by the measuring thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace bench {

enum class ServeMode { echo, sink, source, select };

class Server {
 public:
  Server() = default;
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (0 = any free port). false + err on failure.
  bool bind(const std::string& host, uint16_t port, ServeMode mode, std::string* err);
  uint16_t port() const { return port_; }

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

 private:
  struct Conn;
  void loop();
  void accept_all();
  void on_event(Conn* c, uint32_t events);
  void on_readable(Conn* c);
  void on_writable(Conn* c);
  void want(Conn* c, uint32_t events);
  void drop(Conn* c);

  ServeMode mode_ = ServeMode::echo;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> sunk_{0}, sourced_{0}, echoed_{0}, accepted_{0};
  std::atomic<int64_t> open_{0};
  Conn* head_ = nullptr;  // every live connection, to close them at stop()
};

}  // namespace bench
