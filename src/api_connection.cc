#include "api_connection.h"

#include <strings.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "api_server.h"
#include "http_reason.h"

namespace jinx {
namespace {

ApiConnection* self_of(http_parser* p) {
  return static_cast<ApiConnection*>(p->data);
}

// One answer on its way out; the bytes live until the write callback.
struct PendingWrite {
  uv_write_t req;
  std::string bytes;
  ApiConnection* conn;
};

}  // namespace

ApiConnection::ApiConnection(ApiServer& server) : server_(server) {
  uv_tcp_init(server.loop(), &tcp_);
  uv_timer_init(server.loop(), &idle_);
  tcp_.data = this;
  idle_.data = this;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = on_message_begin;
  settings_.on_url = on_url;
  settings_.on_header_field = on_header_field;
  settings_.on_header_value = on_header_value;
  settings_.on_headers_complete = on_headers_complete;
  settings_.on_body = on_body;
  settings_.on_message_complete = on_message_complete;
}

void ApiConnection::start() {
  uv_tcp_nodelay(&tcp_, 1);
  restart_idle_timer();
  reading_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        // One buffer per read, reused: requests are small and handled at once.
        static char chunk[64 * 1024];
        *buf = uv_buf_init(chunk, sizeof chunk);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        static_cast<ApiConnection*>(s->data)->on_read(nread, buf);
      });
}

void ApiConnection::restart_idle_timer() {
  uv_timer_start(
      &idle_, [](uv_timer_t* t) { static_cast<ApiConnection*>(t->data)->close(); },
      server_.limits().idle_ms, 0);
}

void ApiConnection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    close();  // EOF or error: nothing more can be asked
    return;
  }
  if (nread == 0 || close_after_write_) return;
  restart_idle_timer();
  size_t len = static_cast<size_t>(nread);
  size_t used = http_parser_execute(&parser_, &settings_, buf->base, len);
  if (closing_ || close_after_write_) return;
  if (parser_.upgrade != 0) {
    refuse(400, "protocol upgrades are not supported");
  } else if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || used != len) {
    refuse(400, std::string("bad request: ") + http_errno_description(HTTP_PARSER_ERRNO(&parser_)));
  }
}

int ApiConnection::on_message_begin(http_parser* p) {
  ApiConnection* self = self_of(p);
  self->request_ = ApiRequest{};
  self->header_name_.clear();
  self->in_value_ = false;
  self->user_agent_header_ = false;
  self->header_bytes_ = 0;
  self->headers_ = 0;
  return 0;
}

bool ApiConnection::header_bytes(size_t len) {
  header_bytes_ += len;
  if (header_bytes_ <= server_.limits().max_header_bytes) return true;
  refuse(431, "request header fields too large");
  return false;
}

int ApiConnection::on_url(http_parser* p, const char* at, size_t len) {
  ApiConnection* self = self_of(p);
  if (!self->header_bytes(len)) return -1;
  self->request_.path.append(at, len);
  return 0;
}

int ApiConnection::on_header_field(http_parser* p, const char* at, size_t len) {
  ApiConnection* self = self_of(p);
  if (!self->header_bytes(len)) return -1;
  if (self->in_value_ || self->headers_ == 0) {
    // A new header line begins.
    if (++self->headers_ > self->server_.limits().max_headers) {
      self->refuse(431, "too many request header fields");
      return -1;
    }
    self->header_name_.clear();
    self->in_value_ = false;
  }
  self->header_name_.append(at, len);
  return 0;
}

int ApiConnection::on_header_value(http_parser* p, const char* at, size_t len) {
  ApiConnection* self = self_of(p);
  if (!self->header_bytes(len)) return -1;
  if (!self->in_value_) {
    self->in_value_ = true;
    self->user_agent_header_ = strcasecmp(self->header_name_.c_str(), "user-agent") == 0;
  }
  if (self->user_agent_header_) self->request_.user_agent.append(at, len);
  return 0;
}

int ApiConnection::on_headers_complete(http_parser* p) {
  ApiConnection* self = self_of(p);
  // A declared length over the cap is refused before any of it arrives.
  if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length != ULLONG_MAX &&
      p->content_length > self->server_.limits().max_body) {
    self->refuse(413, "request body too large");
    return -1;
  }
  return 0;
}

int ApiConnection::on_body(http_parser* p, const char* at, size_t len) {
  ApiConnection* self = self_of(p);
  if (self->request_.body.size() + len > self->server_.limits().max_body) {
    self->refuse(413, "request body too large");
    return -1;
  }
  self->request_.body.append(at, len);
  return 0;
}

int ApiConnection::on_message_complete(http_parser* p) {
  return self_of(p)->answer() ? 0 : -1;
}

bool ApiConnection::answer() {
  if (closing_) return false;  // a write failed: nothing more is done for this client
  // The query string takes no part in routing.
  size_t query = request_.path.find_first_of("?#");
  if (query != std::string::npos) request_.path.resize(query);
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  server_.count_request();
  ApiResponse response = server_.handler().handle(request_);
  bool keep_alive = http_should_keep_alive(&parser_) != 0;
  send(response, keep_alive);
  if (!keep_alive) close_after_write_ = true;
  return keep_alive;
}

void ApiConnection::refuse(int status, const std::string& message) {
  if (close_after_write_ || closing_) return;
  send(api_error(status, message), false);
  close_after_write_ = true;
}

void ApiConnection::send(const ApiResponse& response, bool keep_alive) {
  auto* w = new PendingWrite;
  w->conn = this;
  char line[160];
  std::snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", response.status,
                http_reason(static_cast<unsigned>(response.status)));
  w->bytes = line;
  bool no_body = response.status == 204 || response.status == 304;
  if (!no_body) {
    w->bytes += "Content-Type: " + response.content_type + "\r\n";
    w->bytes += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  std::snprintf(line, sizeof line, "X-Toxiproxy-Request-Id: jinx-%08llx\r\n",
                static_cast<unsigned long long>(server_.next_request_id()));
  w->bytes += line;
  for (const auto& [name, value] : response.headers) w->bytes += name + ": " + value + "\r\n";
  if (!keep_alive) w->bytes += "Connection: close\r\n";
  w->bytes += "\r\n";
  if (!no_body) w->bytes += response.body;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  w->req.data = w;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                    [](uv_write_t* req, int status) {
                      auto* pw = static_cast<PendingWrite*>(req->data);
                      ApiConnection* conn = pw->conn;
                      conn->unsent_ -= pw->bytes.size();
                      delete pw;
                      conn->write_done(status);
                    });
  if (rc != 0) {
    delete w;
    close();
    return;
  }
  ++writes_;
  unsent_ += w->bytes.size();
  // A client that pipelines without reading its answers waits for them to drain.
  if (reading_ && unsent_ > server_.limits().max_unsent) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void ApiConnection::write_done(int status) {
  --writes_;
  if (closing_) {
    if (writes_ == 0 && open_handles_ == 0) delete this;
    return;
  }
  if (status < 0 || (close_after_write_ && writes_ == 0)) {
    close();
    return;
  }
  if (!reading_ && unsent_ <= server_.limits().max_unsent / 2) start();
}

void ApiConnection::close() {
  if (closing_) return;
  closing_ = true;
  server_.forget(this);
  auto closed = [](uv_handle_t* h) { static_cast<ApiConnection*>(h->data)->release_handle(); };
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), closed);
}

void ApiConnection::release_handle() {
  // Writes cancelled by the close report before the handle's own callback.
  if (--open_handles_ == 0 && writes_ == 0) delete this;
}

}  // namespace jinx
