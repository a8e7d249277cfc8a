#include "udp_proxy.h"

#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "address.h"
#include "event_log.h"
#include "listen_address.h"
#include "udp_flow.h"

namespace jinx {

// One bound socket of the listen address. On the heap: it is freed in its
// close callback, after which its descriptor is closed too.
class UdpProxy::Listener {
 public:
  Listener(UdpProxy& proxy, int fd) : proxy_(proxy), fd_(fd) {
    uv_poll_init(proxy.context_.loop(), &poll_, fd);
    poll_.data = this;
  }
  void start() {
    uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* p, int status, int /*events*/) {
      auto* self = static_cast<Listener*>(p->data);
      if (status < 0) {
        // POLLERR stopped the poll: clear the error and watch again.
        take_socket_error(self->fd_);
        self->start();
        return;
      }
      self->proxy_.on_readable(*self);
    });
  }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) {
      auto* self = static_cast<Listener*>(h->data);
      ::close(self->fd_);
      delete self;
    });
  }
  int fd() const { return fd_; }

 private:
  UdpProxy& proxy_;
  int fd_;
  uv_poll_t poll_;
};

UdpProxy::UdpProxy(RelayContext& context, const ProxySpec& spec, const sockaddr* upstream)
    : context_(context), spec_(spec) {
  if (upstream != nullptr) {
    upstream_.length = upstream->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::memcpy(&upstream_.storage, upstream, upstream_.length);
  }
}

UdpProxy::~UdpProxy() = default;

bool UdpProxy::listen(std::string* err) {
  auto fail = [&](const std::string& why) {
    *err = "proxy '" + spec_.name + "': cannot listen on udp " +
           join_host_port(spec_.listen_host, spec_.listen_port) + ": " + why;
    return false;
  };
  std::string why;
  if (!listen_addresses(spec_.listen_host, spec_.listen_port, &listen_addrs_, &why)) {
    return fail(why);
  }
  ListenBindFailure failed;
  bool bound = bind_listen_addresses(
      &listen_addrs_, false, [this](SocketAddress* a) { return bind_listener(a); },
      [this](const SocketAddress& other, int rc) {
        Event(context_.events(), "warning")
            .str("message", "proxy '" + spec_.name + "': listening on " + bound_ + " but not on " +
                                format_sockaddr(other.get()) + ": " + std::strerror(-rc));
      },
      &failed);
  return bound || fail(std::strerror(-failed.code));
}

int UdpProxy::bind_listener(SocketAddress* addr) {
  int fd = open_udp_socket(addr->family());
  if (fd < 0) return fd;
  grow_socket_buffers(fd, 4 << 20);
  int one = 1;
  if (addr->family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, addr->get(), addr->length) != 0) {
    int rc = -errno;
    ::close(fd);
    return rc;
  }
  if (listeners_.empty()) {
    sockaddr_storage actual{};
    socklen_t len = sizeof actual;
    getsockname(fd, reinterpret_cast<sockaddr*>(&actual), &len);
    bound_ = format_sockaddr(reinterpret_cast<sockaddr*>(&actual));
    std::memcpy(&addr->storage, &actual, len);
    addr->length = len;
  }
  auto* listener = new Listener(*this, fd);
  listener->start();
  listeners_.push_back(listener);
  return 0;
}

bool UdpProxy::listens_on_loopback_only() const {
  return std::all_of(listen_addrs_.begin(), listen_addrs_.end(),
                     [](const SocketAddress& a) { return is_loopback(a); });
}

void UdpProxy::close_listener() {
  for (Listener* listener : listeners_) listener->close();
  listeners_.clear();
}

void UdpProxy::close_flows(const char* reason) {
  std::vector<UdpFlow*> open;
  open.reserve(flows_.size());
  for (auto& [key, flow] : flows_) open.push_back(flow);
  for (UdpFlow* flow : open) flow->close(reason);
  outbox_.flush();
}

void UdpProxy::forget(UdpFlow* flow) {
  if (last_flow_ == flow) last_flow_ = nullptr;
  closed_received_up_ += flow->totals().received_up;
  closed_received_down_ += flow->totals().received_down;
  auto it = flows_.find(flow->key());
  if (it != flows_.end() && it->second == flow) flows_.erase(it);
}

void UdpProxy::live_bytes(uint64_t* up, uint64_t* down) const {
  for (const auto& [key, flow] : flows_) {
    *up += flow->totals().bytes_up;
    *down += flow->totals().bytes_down;
  }
}

void UdpProxy::total_received(uint64_t* up, uint64_t* down) const {
  *up += closed_received_up_;
  *down += closed_received_down_;
  for (const auto& [key, flow] : flows_) {
    *up += flow->totals().received_up;
    *down += flow->totals().received_down;
  }
}

void UdpProxy::live_totals(FlowTotals* totals) const {
  for (const auto& [key, flow] : flows_) totals->add(flow->totals());
}

void UdpProxy::on_readable(Listener& listener) {
  // A few full batches per wake-up, each sent on before the next is read
  // into the same buffers; then back to the loop, so no socket starves.
  for (int round = 0; round < kRoundsPerWakeup; ++round) {
    int n = receiver_.receive(listener.fd());
    for (int i = 0; i < n; ++i) {
      auto at = static_cast<size_t>(i);
      if (down_windows_ > 0) {
        drop_one();
        continue;
      }
      UdpFlow* flow = flow_for(listener, receiver_.from(at), receiver_.from_length(at));
      if (flow != nullptr) flow->from_client(receiver_.data(at), receiver_.size(at));
    }
    outbox_.flush();
    if (n < static_cast<int>(UdpReceiver::kBatch)) return;
  }
}

// The flow of a client address, opened on its first datagram.
UdpFlow* UdpProxy::flow_for(Listener& listener, const sockaddr* from, socklen_t length) {
  // A batch mostly comes from few clients: the last one is checked first,
  // without building a key.
  if (last_flow_ != nullptr && last_flow_->key().size() == length &&
      std::memcmp(last_flow_->key().data(), from, length) == 0) {
    return last_flow_;
  }
  std::string key(reinterpret_cast<const char*>(from), length);
  if (auto it = flows_.find(key); it != flows_.end()) return last_flow_ = it->second;
  if (flows_.size() >= spec_.max_flows) {
    refuse("max_flows (" + std::to_string(spec_.max_flows) +
               ") reached: datagrams from new clients are dropped",
           &warned_full_);
    return nullptr;
  }
  auto* flow = new UdpFlow(*this, context_.next_flow_id(), key, listener.fd(), from, length);
  flows_.emplace(std::move(key), flow);
  flow->start();
  return flow;
}

// A datagram from a new client that gets no flow: dropped, said once.
void UdpProxy::refuse(const std::string& why, bool* warned) {
  drop_one();
  if (*warned) return;
  *warned = true;
  Event(context_.events(), "warning").str("message", "proxy '" + spec_.name + "': " + why);
}

void UdpProxy::drop_one() {
  FlowTotals dropped;
  dropped.dropped = 1;
  context_.count_flow(dropped);
}

void UdpProxy::toxic_on(const ToxicSpec& spec, ToxicIndex index, uint64_t window,
                        const std::vector<double>& attrs, double toxicity) {
  if (spec.type->kind == ToxicKind::down) {
    // Counted: the end of one window leaves another open one in force.
    if (down_windows_++ == 0) close_flows("proxy_down");
    return;
  }
  if (spec.type->kind != ToxicKind::stage) return;
  auto active = std::make_unique<OpenToxic>(OpenToxic{index, &spec, window, attrs, toxicity});
  const OpenToxic& ref = *active;
  active_.push_back(std::move(active));
  for (auto& [key, flow] : flows_) flow->apply(ref);
  outbox_.flush();
}

void UdpProxy::toxic_update(ToxicIndex index, const std::vector<double>& attrs, double toxicity) {
  for (auto& a : active_) {
    if (a->index != index) continue;
    a->attrs = attrs;
    a->toxicity = toxicity;
    for (auto& [key, flow] : flows_) flow->update(index, attrs);
  }
  outbox_.flush();
}

void UdpProxy::toxic_off(ToxicIndex index) {
  if (context_.toxic_spec(index).type->kind == ToxicKind::down) {
    --down_windows_;
    return;
  }
  for (auto& [key, flow] : flows_) flow->remove(index);
  std::erase_if(active_, [&](const auto& a) { return a->index == index; });
  outbox_.flush();
}

}  // namespace jinx
