#include "proxy.h"

#include <algorithm>
#include <cstring>

#include "address.h"
#include "connection.h"
#include "event_log.h"
#include "listen_address.h"
#include "owned_timer.h"
#include "udp_proxy.h"

namespace jinx {

// The listening socket. It lives on the heap because `down` closes it and a
// later window binds a new one while the old handle may still be closing.
class Proxy::Listener {
 public:
  explicit Listener(Proxy& proxy) : proxy_(proxy) {
    uv_tcp_init(proxy.context_.loop(), &tcp_);
    tcp_.data = this;
  }
  uv_tcp_t* tcp() { return &tcp_; }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
             [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
  }
  Proxy& proxy() { return proxy_; }

 private:
  Proxy& proxy_;
  uv_tcp_t tcp_;
};

Proxy::Proxy(RelayContext& context, const ProxySpec& spec) : context_(context), spec_(&spec) {
  read_upstream();
  if (spec.protocol == ProxyProtocol::udp) {
    udp_ = std::make_unique<UdpProxy>(context, spec, literal_upstream());
  }
}

void Proxy::read_upstream() {
  const ProxySpec& spec = *spec_;
  upstream_addr_.clear();
  sockaddr_storage addr{};
  auto* bytes = reinterpret_cast<char*>(&addr);
  if (uv_ip4_addr(spec.upstream_host.c_str(), spec.upstream_port,
                  reinterpret_cast<sockaddr_in*>(&addr)) == 0) {
    upstream_addr_.assign(bytes, bytes + sizeof(sockaddr_in));
  } else if (uv_ip6_addr(spec.upstream_host.c_str(), spec.upstream_port,
                         reinterpret_cast<sockaddr_in6*>(&addr)) == 0) {
    upstream_addr_.assign(bytes, bytes + sizeof(sockaddr_in6));
  }
}

Proxy::~Proxy() = default;

const std::string& Proxy::bound_address() const {
  return udp_ ? udp_->bound_address() : bound_;
}

size_t Proxy::open_connections() const {
  return udp_ ? udp_->open_flows() : open_count_;
}

bool Proxy::listen(std::string* err) {
  if (udp_) return udp_->listen(err);
  auto fail = [&](const std::string& why) {
    // Once bound, the address is the one actually bound (port 0 became a
    // real port), which is the one bound again after `down`.
    std::string where =
        bound_.empty() ? join_host_port(spec_->listen_host, spec_->listen_port) : bound_;
    *err = "proxy '" + spec_->name + "': cannot listen on " + where + ": " + why;
    return false;
  };
  bool first_time = listen_addrs_.empty();
  if (first_time) {
    // Resolved once, at start-up: the listen address must not move later.
    std::string why;
    if (!listen_addresses(spec_->listen_host, spec_->listen_port, &listen_addrs_, &why)) {
      return fail(why);
    }
  }
  ListenBindFailure failed;
  // Binding again after `down` is all or nothing, so the retry covers them
  // all; at start-up an address of the name that cannot be bound is left
  // out with a warning.
  bool bound = bind_listen_addresses(
      &listen_addrs_, !first_time, [this](SocketAddress* a) { return bind_listener(a); },
      [this](const SocketAddress& other, int rc) {
        Event(context_.events(), "warning")
            .str("message", "proxy '" + spec_->name + "': listening on " + bound_ + " but not on " +
                                format_sockaddr(other.get()) + ": " + uv_strerror(rc));
      },
      &failed);
  if (bound) return true;
  if (failed.first) return fail(uv_strerror(failed.code));
  for (Listener* listener : listeners_) listener->close();
  listeners_.clear();
  return fail(format_sockaddr(failed.address.get()) + ": " + uv_strerror(failed.code));
}

int Proxy::bind_listener(SocketAddress* addr) {
  auto* listener = new Listener(*this);
  int rc = uv_tcp_bind(listener->tcp(), addr->get(), 0);
  // Accepted sockets inherit TCP_NODELAY from the listener (Linux), so no
  // connection sets it on its own.
  if (rc == 0) rc = uv_tcp_nodelay(listener->tcp(), 1);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener->tcp()), 4096,
                   [](uv_stream_t* server, int status) {
                     static_cast<Listener*>(server->data)->proxy().on_accept(server, status);
                   });
  }
  if (rc != 0) {
    listener->close();
    return rc;
  }
  if (listeners_.empty()) {
    sockaddr_storage actual{};
    int len = sizeof actual;
    uv_tcp_getsockname(listener->tcp(), reinterpret_cast<sockaddr*>(&actual), &len);
    bound_ = format_sockaddr(reinterpret_cast<sockaddr*>(&actual));
    // Rebinding after `down` must take the same port, even if it was 0.
    std::memcpy(&addr->storage, &actual, static_cast<size_t>(len));
    addr->length = static_cast<socklen_t>(len);
  }
  listeners_.push_back(listener);
  return 0;
}

bool Proxy::listens_on_loopback_only() const {
  if (udp_) return udp_->listens_on_loopback_only();
  return std::all_of(listen_addrs_.begin(), listen_addrs_.end(),
                     [](const SocketAddress& a) { return is_loopback(a); });
}

void Proxy::close_listener() {
  if (udp_) udp_->close_listener();
  for (Listener* listener : listeners_) listener->close();
  listeners_.clear();
  if (rebind_timer_ != nullptr) {
    close_and_delete_timer(rebind_timer_);
    rebind_timer_ = nullptr;
  }
}

void Proxy::on_accept(uv_stream_t* server, int status) {
  if (status < 0) {
    Event(context_.events(), "warning")
        .str("message", "proxy '" + spec_->name + "': accept failed: " + uv_strerror(status));
    return;
  }
  auto* conn = new Connection(*this, context_.next_connection_id());
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(conn->client())) != 0) {
    conn->close(CloseReason::error, "accept failed");
    return;
  }
  conn->next = connections_;
  if (connections_ != nullptr) connections_->prev = conn;
  connections_ = conn;
  ++open_count_;
  ++accepted_;
  context_.connection_opened();
  const SlowOpen* slow = slowest_open();
  if (slow != nullptr && slow->delay > 0) conn->note_toxic(slow->toxic);
  conn->start(slow != nullptr ? slow->delay : 0);
}

void Proxy::pause_accepting() {
  if (udp_) return;  // a flow's socket is taken only when one is free
  accept_paused_ = true;
  close_listener();
}

void Proxy::resume_accepting() {
  if (udp_) return;
  accept_paused_ = false;
  if (down_windows_ == 0 && enabled_) come_up();
}

void Proxy::disable() {
  if (!enabled_) return;
  enabled_ = false;
  close_listener();
  close_connections(CloseReason::proxy_down);
}

bool Proxy::enable(std::string* err) {
  if (enabled_) return true;
  // Held down by a `down` window or by the descriptor limit: enabled, and
  // bound when that ends.
  if (down_windows_ > 0 || accept_paused_) {
    enabled_ = true;
    return true;
  }
  if (!listen(err)) return false;
  enabled_ = true;
  return true;
}

void Proxy::retarget(const ProxySpec& spec) {
  // Toxiproxy's update of listen or upstream: stopped, changed, started.
  disable();
  spec_ = &spec;
  read_upstream();
  listen_addrs_.clear();
  bound_.clear();
}

void Proxy::forget(Connection* conn) {
  bool listed = conn->prev != nullptr || connections_ == conn;
  if (!listed) return;
  if (conn->prev != nullptr) conn->prev->next = conn->next;
  if (conn->next != nullptr) conn->next->prev = conn->prev;
  if (connections_ == conn) connections_ = conn->next;
  conn->prev = conn->next = nullptr;
  --open_count_;
  closed_up_ += conn->bytes_up();
  closed_down_ += conn->bytes_down();
  closed_received_up_ += conn->received_up();
  closed_received_down_ += conn->received_down();
  context_.connection_closed();
}

void Proxy::total_bytes(uint64_t* up, uint64_t* down) const {
  *up = closed_up_;
  *down = closed_down_;
  live_bytes(up, down);
}

void Proxy::total_received(uint64_t* up, uint64_t* down) const {
  *up = closed_received_up_;
  *down = closed_received_down_;
  if (udp_) udp_->total_received(up, down);
  for (const Connection* c = connections_; c != nullptr; c = c->next) {
    *up += c->received_up();
    *down += c->received_down();
  }
}

void Proxy::live_bytes(uint64_t* up, uint64_t* down) const {
  if (udp_) udp_->live_bytes(up, down);
  for (const Connection* c = connections_; c != nullptr; c = c->next) {
    *up += c->bytes_up();
    *down += c->bytes_down();
  }
}

void Proxy::live_flow_totals(FlowTotals* totals) const {
  if (udp_) udp_->live_totals(totals);
}

void Proxy::close_connections(CloseReason reason) {
  if (udp_) udp_->close_flows(close_reason_name(reason));
  // A connection leaves the list once it has finished closing; one that
  // winds down first stays in it (and counts as open) meanwhile.
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next;
    c->close(reason);
    c = next;
  }
}

void Proxy::toxic_on(const ToxicSpec& spec, ToxicIndex index, uint64_t window,
                     const std::vector<double>& attrs, double toxicity) {
  if (udp_) {
    udp_->toxic_on(spec, index, window, attrs, toxicity);
    return;
  }
  switch (spec.type->kind) {
    case ToxicKind::down:
      // Counted: the end of one window leaves another open one in force.
      if (down_windows_++ == 0) {
        for (Connection* c = connections_; c != nullptr; c = c->next) c->note_toxic(index);
        go_down();
      }
      return;
    case ToxicKind::slow_open:
      slow_opens_.push_back({index, Settings(*spec.type, attrs).duration("delay")});
      return;
    case ToxicKind::stage:
    case ToxicKind::request:  // read by each connection's HTTP layer per request
      break;
  }
  auto active = std::make_unique<ActiveToxic>();
  static_cast<OpenToxic&>(*active) = OpenToxic{index, &spec, window, attrs, toxicity};
  const ActiveToxic& ref = *active;
  active_.push_back(std::move(active));
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next;  // applying may close c (reset_peer at once)
    c->apply(ref);
    c = next;
  }
}

void Proxy::toxic_update(ToxicIndex index, const std::vector<double>& attrs, double toxicity) {
  if (udp_) {
    udp_->toxic_update(index, attrs, toxicity);
    return;
  }
  const ToxicSpec& spec = context_.toxic_spec(index);
  switch (spec.type->kind) {
    case ToxicKind::down:
      return;
    case ToxicKind::slow_open:
      for (auto& slow : slow_opens_) {
        if (slow.toxic == index) slow.delay = Settings(*spec.type, attrs).duration("delay");
      }
      return;
    case ToxicKind::stage:
    case ToxicKind::request:
      break;
  }
  for (auto& a : active_) {
    if (a->index != index) continue;
    a->attrs = attrs;
    a->toxicity = toxicity;
    for (Connection* c = connections_; c != nullptr;) {
      Connection* next = c->next;
      c->update(index, attrs);
      c = next;
    }
  }
}

void Proxy::toxic_off(ToxicIndex index) {
  if (udp_) {
    udp_->toxic_off(index);
    return;
  }
  const ToxicSpec& spec = context_.toxic_spec(index);
  switch (spec.type->kind) {
    case ToxicKind::down:
      if (--down_windows_ == 0 && !accept_paused_ && enabled_) come_up();
      return;
    case ToxicKind::slow_open:
      // Only this window ends: another slow_open may still be on (issue 9 #10).
      std::erase_if(slow_opens_, [&](const SlowOpen& s) { return s.toxic == index; });
      return;
    case ToxicKind::stage:
    case ToxicKind::request:
      break;
  }
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next;  // removing may close c (timeout that lost data)
    c->remove(index);
    c = next;
  }
  std::erase_if(active_, [&](const auto& a) { return a->index == index; });
}

const Proxy::SlowOpen* Proxy::slowest_open() const {
  const SlowOpen* slowest = nullptr;
  for (const auto& slow : slow_opens_) {
    if (slowest == nullptr || slow.delay > slowest->delay) slowest = &slow;
  }
  return slowest;
}

void Proxy::go_down() {
  close_listener();
  close_connections(CloseReason::proxy_down);
}

void Proxy::come_up() {
  if (context_.ending()) return;
  std::string err;
  if (listen(&err)) return;
  // The port may be taken by someone else meanwhile: say so and keep trying.
  Event(context_.events(), "warning").str("message", err + "; retrying every second");
  if (rebind_timer_ == nullptr) {
    rebind_timer_ = new uv_timer_t;
    uv_timer_init(context_.loop(), rebind_timer_);
    rebind_timer_->data = this;
  }
  uv_timer_start(
      rebind_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Proxy*>(t->data);
        std::string e;
        if (self->down_windows_ == 0 && !self->accept_paused_ && self->enabled_ &&
            !self->context_.ending() && self->listeners_.empty() && self->listen(&e)) {
          uv_timer_stop(t);
        }
      },
      1000, 1000);
}

}  // namespace jinx
