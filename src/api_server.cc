#include "api_server.h"

#include "address.h"
#include "api_connection.h"
#include "listen_address.h"

namespace jinx {

ApiServer::ApiServer(uv_loop_t* loop, ApiHandler& handler, ApiLimits limits)
    : loop_(loop), handler_(handler), limits_(limits) {}

ApiServer::~ApiServer() = default;

bool ApiServer::listen(const std::string& host, uint16_t port, std::string* err) {
  std::vector<SocketAddress> addrs;
  std::string why;
  std::string where = join_host_port(host, port);
  if (!listen_addresses(host, port, &addrs, &why) || addrs.empty()) {
    *err = "api: cannot listen on " + where + ": " + why;
    return false;
  }
  // The first address of the name only: clients are given the one bound.
  listener_ = new uv_tcp_t;
  uv_tcp_init(loop_, listener_);
  listener_->data = this;
  int rc = uv_tcp_bind(listener_, addrs[0].get(), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 512, [](uv_stream_t* s, int status) {
      static_cast<ApiServer*>(s->data)->on_accept(status);
    });
  }
  if (rc != 0) {
    *err = "api: cannot listen on " + where + ": " + uv_strerror(rc);
    close();
    return false;
  }
  sockaddr_storage actual{};
  int len = sizeof actual;
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&actual), &len);
  bound_ = format_sockaddr(reinterpret_cast<sockaddr*>(&actual));
  loopback_ = is_loopback(addrs[0]);
  return true;
}

void ApiServer::on_accept(int status) {
  if (status < 0 || closed_) return;
  auto* conn = new ApiConnection(*this);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_),
                reinterpret_cast<uv_stream_t*>(conn->tcp())) != 0) {
    conn->close();
    return;
  }
  add_client(conn);
}

void ApiServer::add_client(ApiConnection* conn) {
  conn->next = first_;
  if (first_ != nullptr) first_->prev = conn;
  first_ = conn;
  ++clients_;
  if (clients_ > limits_.max_clients) {
    conn->close();  // the newest goes: those already served keep their connection
    return;
  }
  conn->start();
}

bool ApiServer::adopt(int fd) {
  auto* conn = new ApiConnection(*this);
  if (uv_tcp_open(conn->tcp(), fd) != 0) {
    conn->close();
    return false;
  }
  add_client(conn);
  return true;
}

void ApiServer::forget(ApiConnection* conn) {
  bool listed = conn->prev != nullptr || first_ == conn;
  if (!listed) return;
  if (conn->prev != nullptr) conn->prev->next = conn->next;
  if (conn->next != nullptr) conn->next->prev = conn->prev;
  if (first_ == conn) first_ = conn->next;
  conn->prev = conn->next = nullptr;
  --clients_;
}

void ApiServer::close() {
  closed_ = true;
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
  }
  while (first_ != nullptr) first_->close();  // close() unlinks it
}

}  // namespace jinx
