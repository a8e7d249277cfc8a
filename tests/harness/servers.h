// Upstream servers for the end-to-end tests. Each listens on 127.0.0.1 with
// a port of its own, serves every connection on its own thread, and records
// what it received in a ConnLog (connections numbered 1, 2, ... in accept
// order at that server).
//
//   EchoServer          sends back what it reads; on the client's FIN,
//                       finishes echoing and sends its own FIN.
//   SinkServer          reads and digests until FIN or error; sends nothing.
//   SourceServer        on connect sends N bytes of stream `seed`, then FIN
//                       (a server that half-closes first), while it reads and
//                       digests whatever the client sends until its FIN.
//   ReplyAfterEofServer reads until the client's FIN, then sends N bytes of
//                       stream `seed` and FIN (checks a relayed half-close).
//   NoReadServer        accepts and never reads (backpressure).
//   ResetServer         reads the first bytes, then resets (RST).
#pragma once

#include <cstdint>
#include <string>

#include "conn_log.h"
#include "tcp_server.h"

namespace jinx_test {

class LoggedServer {
 public:
  std::string address() const { return server_.address(); }
  uint16_t port() const { return server_.port(); }
  ConnLog& log() { return log_; }
  int accepted() const { return server_.accepted(); }
  void stop() { server_.stop(); }

 protected:
  using Handler = std::function<void(ServerConn&, ConnLog&)>;
  LoggedServer(bool keep_data, Handler handler);

 private:
  ConnLog log_;
  TcpServer server_;  // last member: its threads stop before log_ goes
};

class EchoServer : public LoggedServer {
 public:
  EchoServer();
};

class SinkServer : public LoggedServer {
 public:
  explicit SinkServer(bool keep_data = false);
};

class SourceServer : public LoggedServer {
 public:
  SourceServer(uint64_t bytes, uint64_t seed, bool keep_data = false);
};

class ReplyAfterEofServer : public LoggedServer {
 public:
  ReplyAfterEofServer(uint64_t reply_bytes, uint64_t seed);
};

class NoReadServer : public LoggedServer {
 public:
  NoReadServer();
};

class ResetServer : public LoggedServer {
 public:
  ResetServer();
};

}  // namespace jinx_test
