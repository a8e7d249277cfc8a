// The control API's HTTP/1.1 server (SPEC 10), on the session's own loop.
//
// One ApiConnection per client (api_connection.h) parses requests with
// Debian's http_parser and hands each whole request to an ApiHandler, which
// answers at once: handling is synchronous on the loop, so pipelined requests
// are answered in order without a queue of pending work. The server knows
// nothing of proxies; the routes (api_routes.h) do.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "api_http.h"

namespace jinx {

class ApiConnection;

class ApiHandler {
 public:
  virtual ApiResponse handle(const ApiRequest& request) = 0;

 protected:
  ~ApiHandler() = default;
};

// What one client may send and how long it may stay silent.
struct ApiLimits {
  size_t max_body = 1024 * 1024;        // larger: 413, then close
  size_t max_header_bytes = 32 * 1024;  // request line and headers; larger: 431
  size_t max_headers = 100;             // more header lines: 431
  size_t max_unsent = 4 * 1024 * 1024;  // answers not yet taken: stop reading
  uint64_t idle_ms = 60 * 1000;         // no request for this long: close
  size_t max_clients = 1024;            // more at once: the newest is closed
};

class ApiServer {
 public:
  ApiServer(uv_loop_t* loop, ApiHandler& handler, ApiLimits limits = {});
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;
  ~ApiServer();

  // Binds host:port (port 0: any free one); on failure a message naming it.
  bool listen(const std::string& host, uint16_t port, std::string* err);
  // "ip:port" actually bound.
  const std::string& bound_address() const { return bound_; }
  bool loopback_only() const { return loopback_; }
  // Serves a connected stream socket as a client (the fuzz target hands it
  // one end of a socketpair); false when libuv cannot take it.
  bool adopt(int fd);
  // Closes the listener and every client; handles free themselves.
  void close();
  size_t clients() const { return clients_; }
  uint64_t requests() const { return requests_; }

  // For ApiConnection.
  uv_loop_t* loop() { return loop_; }
  ApiHandler& handler() { return handler_; }
  const ApiLimits& limits() const { return limits_; }
  void forget(ApiConnection* conn);
  void count_request() { ++requests_; }
  uint64_t next_request_id() { return ++request_ids_; }

 private:
  void on_accept(int status);
  void add_client(ApiConnection* conn);

  uv_loop_t* loop_;
  ApiHandler& handler_;
  ApiLimits limits_;
  uv_tcp_t* listener_ = nullptr;  // freed in its close callback
  std::string bound_;
  bool loopback_ = true;
  ApiConnection* first_ = nullptr;  // open clients, a list through ApiConnection
  size_t clients_ = 0;
  uint64_t requests_ = 0;
  uint64_t request_ids_ = 0;
  bool closed_ = false;
};

}  // namespace jinx
