// One direction of an HTTP/1.1 connection, parsed as the bytes stream past
// (SPEC 11). Debian's libhttp-parser does the parsing; this wrapper stops it
// at the points where jinx may act on a message: the end of its headers, the
// end of the message, a body offset (http_abort), and an upgrade (after
// which the bytes are another protocol). feed() says how many bytes it used
// up to that point, so the caller can split its chunk there.
//
// Only the request line or status and the header block are kept (at most
// kMaxHeaderBytes); bodies are never copied.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jinx {

class HttpStreamParser {
 public:
  enum class Kind { request, response };
  enum class Stop {
    consumed,      // every byte given was used
    headers_done,  // a message's header block is complete
    message_done,  // a message ended
    body_limit,    // the body reached the limit set with limit_body()
    upgraded,      // the message ended and what follows is not HTTP
    invalid,       // not HTTP/1.x: error() says why
  };
  struct Step {
    size_t used;
    Stop stop;
  };
  static constexpr size_t kMaxHeaderBytes = 64 * 1024;

  explicit HttpStreamParser(Kind kind);
  HttpStreamParser(const HttpStreamParser&) = delete;
  HttpStreamParser& operator=(const HttpStreamParser&) = delete;

  // Parses from `data`; an empty input is the end of the stream.
  Step feed(const char* data, size_t len);

  // For the response being parsed: it answers HEAD (no body), or CONNECT (a
  // 2xx turns the connection into a tunnel). Set before its headers end.
  void expect_response_to(std::string_view method) { answered_method_ = method; }
  // Stops at the body byte number `bytes` of the current message (0: at once).
  void limit_body(uint64_t bytes) { body_limit_ = bytes; }

  // Known once headers_done: the request's method and path, or the status.
  const std::string& method() const { return method_; }
  const std::string& target() const { return target_; }
  std::string_view path() const;
  unsigned status() const { return parser_.status_code; }
  // A request's header (a response's are not kept) by its lower-case name:
  // its value as sent, or nullptr.
  const std::string* header(std::string_view lower_name) const;
  bool in_message() const { return in_message_; }
  uint64_t body_bytes() const { return body_bytes_; }
  const std::string& error() const { return error_; }

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t len);
  static int on_status(http_parser* p, const char* at, size_t len);
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t len);
  static int on_message_complete(http_parser* p);
  bool count_header_bytes(size_t len);
  // Starts the next header's name and value (reusing an earlier message's).
  void next_header();

  http_parser parser_;
  http_parser_settings settings_;
  std::string method_;
  std::string target_;
  // Names lower-case. The first header_count_ are the current message's;
  // the strings are reused from message to message (no malloc per request).
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t header_count_ = 0;
  bool in_value_ = false;
  size_t header_bytes_ = 0;
  uint64_t body_bytes_ = 0;
  uint64_t body_limit_ = UINT64_MAX;
  std::string answered_method_;
  bool in_message_ = false;
  // Set by the callbacks for feed(): where and why parsing stopped.
  Stop stop_ = Stop::consumed;
  const char* base_ = nullptr;
  size_t cut_ = 0;
  std::string error_;
};

}  // namespace jinx
