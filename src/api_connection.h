// One client of the control API: reads bytes, parses HTTP/1.1 requests with
// http_parser (keep-alive, pipelining, Content-Length and chunked bodies),
// answers each through the server's handler, and closes on malformed input,
// on a body or header block over the limits, or after an idle spell.
#pragma once

#include <http_parser.h>
#include <uv.h>

#include <string>

#include "api_http.h"

namespace jinx {

class ApiServer;

class ApiConnection {
 public:
  explicit ApiConnection(ApiServer& server);
  ApiConnection(const ApiConnection&) = delete;
  ApiConnection& operator=(const ApiConnection&) = delete;

  uv_tcp_t* tcp() { return &tcp_; }
  // Starts reading and the idle timer.
  void start();
  // Idempotent; deletes itself once both handles have closed.
  void close();

  ApiConnection* prev = nullptr;  // the server's list of clients
  ApiConnection* next = nullptr;

 private:
  ~ApiConnection() = default;
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t len);
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t len);
  static int on_message_complete(http_parser* p);

  void on_read(ssize_t nread, const uv_buf_t* buf);
  bool header_bytes(size_t len);
  // Answers the request just parsed; false when the connection must close.
  bool answer();
  // Answers with an error and closes after it is written.
  void refuse(int status, const std::string& message);
  void send(const ApiResponse& response, bool keep_alive);
  void write_done(int status);
  void restart_idle_timer();
  void release_handle();

  ApiServer& server_;
  uv_tcp_t tcp_;
  uv_timer_t idle_;
  http_parser parser_;
  http_parser_settings settings_;
  ApiRequest request_;
  std::string header_name_;
  bool in_value_ = false;
  bool user_agent_header_ = false;
  size_t header_bytes_ = 0;
  size_t headers_ = 0;
  int refused_ = 0;  // the status an over-limit request got, stopping the parser
  size_t unsent_ = 0;
  int writes_ = 0;
  bool reading_ = false;
  bool closing_ = false;
  bool close_after_write_ = false;
  int open_handles_ = 2;
};

}  // namespace jinx
