#include "udp_flow.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "address.h"
#include "event_log.h"
#include "loop_clock.h"
#include "loop_timers.h"
#include "udp_proxy.h"

namespace jinx {

Micros UdpFlow::Way::now() const {
  return flow_.context_.now();
}

UdpFlow::UdpFlow(UdpProxy& proxy, uint64_t id, std::string key, int listen_fd,
                 const sockaddr* client, socklen_t client_length)
    : proxy_(proxy),
      context_(proxy.context()),
      id_(id),
      key_(std::move(key)),
      listen_fd_(listen_fd),
      client_length_(client_length),
      up_(*this, Direction::upstream, proxy.spec().buffer),
      down_(*this, Direction::downstream, proxy.spec().buffer),
      stage_timer_([](MicroTimer& t) { static_cast<UdpFlow*>(t.owner())->on_stage_timer(); }, this),
      opened_at_(proxy.context().now()) {
  std::memcpy(&client_, client, client_length);
  uv_timer_init(context_.loop(), &timer_);
  timer_.data = this;
  last_activity_ = opened_at_;
}

void UdpFlow::start() {
  Event(context_.events(), "flow_open")
      .str("proxy", proxy_.spec().name)
      .num("flow", id_)
      .str("client", format_sockaddr(reinterpret_cast<const sockaddr*>(&client_)));
  for (const auto& toxic : proxy_.active()) apply(*toxic);
  if (const sockaddr* upstream = proxy_.upstream()) {
    connect(upstream, upstream->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  } else {
    const ProxySpec& spec = proxy_.spec();
    lookup_ = context_.resolver().resolve(
        spec.upstream_host, spec.upstream_port,
        [this](std::vector<SocketAddress> addresses, std::string error) {
          lookup_ = nullptr;
          if (addresses.empty()) {
            close("error", "cannot resolve " + proxy_.spec().upstream_host + ": " + error);
            proxy_.outbox().flush();
            return;
          }
          connect(addresses.front().get(), addresses.front().length);
          proxy_.outbox().flush();
        });
  }
  arm(true);
}

void UdpFlow::connect(const sockaddr* upstream, socklen_t length) {
  int fd = open_udp_socket(upstream->sa_family);
  if (fd < 0) {
    close("error", std::string("cannot open a socket: ") + std::strerror(-fd));
    return;
  }
  grow_socket_buffers(fd, 1 << 20);
  if (::connect(fd, upstream, length) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    close("error", "cannot connect to " + format_sockaddr(upstream) + ": " + why);
    return;
  }
  fd_ = fd;
  uv_poll_init(context_.loop(), &poll_, fd_);
  poll_.data = this;
  ++pending_closes_;
  watch_upstream();
  while (!waiting_.empty()) {
    deliver(Direction::upstream, std::move(waiting_.front()));
    waiting_.pop_front();
  }
  waiting_bytes_ = 0;
}

void UdpFlow::push(Way& way, const char* data, size_t size) {
  Datagram d;
  d.bytes.assign(data, data + size);
  d.read_time = context_.now();
  d.number = way.next_number();
  last_activity_ = d.read_time;
  way.pipeline().push(std::move(d));
}

void UdpFlow::from_client(const char* data, size_t size) {
  if (closing_) return;
  totals_.received_up += size;
  if (up_.pipeline().empty() && fd_ >= 0) {
    // No toxic on this direction: straight from the receive buffer.
    up_.next_number();
    last_activity_ = context_.now();
    ++totals_.datagrams_up;
    totals_.bytes_up += size;
    proxy_.outbox().add_view(fd_, nullptr, 0, data, size, this);
    return;
  }
  push(up_, data, size);
  if (!up_.pipeline().empty()) arm();
}

void UdpFlow::watch_upstream() {
  uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* p, int status, int /*events*/) {
    static_cast<UdpFlow*>(p->data)->from_upstream(status);
  });
}

void UdpFlow::from_upstream(int status) {
  if (closing_) return;
  if (status < 0) {
    // POLLERR: libuv stopped the poll. Clear the error, then watch again;
    // the error is read once, so nothing spins.
    if (take_socket_error(fd_) == ECONNREFUSED) note_unreachable();
    watch_upstream();
    return;
  }
  UdpReceiver& rx = proxy_.receiver();
  int n = rx.receive(fd_);
  if (n == -ECONNREFUSED) {
    note_unreachable();
    return;
  }
  bool plain = down_.pipeline().empty();
  for (int i = 0; i < n && !closing_; ++i) {
    auto at = static_cast<size_t>(i);
    totals_.received_down += rx.size(at);
    if (plain) {
      down_.next_number();
      ++totals_.datagrams_down;
      totals_.bytes_down += rx.size(at);
      proxy_.outbox().add_view(listen_fd_, reinterpret_cast<const sockaddr*>(&client_),
                               client_length_, rx.data(at), rx.size(at), this);
    } else {
      push(down_, rx.data(at), rx.size(at));
    }
  }
  if (plain && n > 0) last_activity_ = context_.now();
  if (!down_.pipeline().empty()) arm();
  proxy_.outbox().flush();
}

void UdpFlow::deliver(Direction d, Datagram&& datagram) {
  if (closing_) return;
  if (d == Direction::upstream) {
    if (fd_ < 0) {
      // Still resolving: held, within the proxy's buffer.
      if (waiting_bytes_ + datagram.size() > proxy_.spec().buffer) {
        ++totals_.dropped;
        return;
      }
      waiting_bytes_ += datagram.size();
      waiting_.push_back(std::move(datagram));
      return;
    }
    ++totals_.datagrams_up;
    totals_.bytes_up += datagram.size();
    proxy_.outbox().add(fd_, nullptr, 0, std::move(datagram), this);
  } else {
    ++totals_.datagrams_down;
    totals_.bytes_down += datagram.size();
    proxy_.outbox().add(listen_fd_, reinterpret_cast<const sockaddr*>(&client_), client_length_,
                        std::move(datagram), this);
  }
}

void UdpFlow::counted(ToxicIndex toxic, DatagramFate fate) {
  switch (fate) {
    case DatagramFate::dropped:
      ++totals_.dropped;
      break;
    case DatagramFate::duplicated:
      ++totals_.duplicated;
      break;
    case DatagramFate::reordered:
      ++totals_.reordered;
      break;
    case DatagramFate::corrupted:
      ++totals_.corrupted;
      break;
  }
  auto it = std::find_if(toxics_.begin(), toxics_.end(),
                         [&](const ToxicCounts& c) { return c.toxic == toxic; });
  if (it == toxics_.end()) it = toxics_.insert(toxics_.end(), ToxicCounts{toxic, {}});
  ++it->fates[static_cast<size_t>(fate)];
}

void UdpFlow::send_failed(int error) {
  ++totals_.dropped;
  if (error == -ECONNREFUSED) note_unreachable();
}

// The upstream answered with ICMP port unreachable: nobody listens there
// (yet). Said once per flow; the flow goes on, in case the server comes.
void UdpFlow::note_unreachable() {
  if (unreachable_++ > 0) return;
  Event(context_.events(), "warning")
      .str("message", "proxy '" + proxy_.spec().name + "' flow " + std::to_string(id_) +
                          ": the upstream " +
                          join_host_port(proxy_.spec().upstream_host, proxy_.spec().upstream_port) +
                          " is unreachable (ICMP port unreachable)")
      .num("flow", id_);
}

void UdpFlow::apply(const OpenToxic& toxic) {
  if (closing_) return;
  const ToxicSpec& spec = *toxic.spec;
  uint64_t tid = toxic_id(spec.name);
  for (Way* way : {&up_, &down_}) {
    Direction d = way->direction();
    if (!spec.applies_to(d) || way->pipeline().has(toxic.index)) continue;
    auto roll = d == Direction::upstream ? RandomPurpose::toxicity_upstream
                                         : RandomPurpose::toxicity_downstream;
    if (!Rng::derive(context_.seed(), tid, id_, roll, toxic.window).chance(toxic.toxicity)) {
      continue;
    }
    auto purpose = d == Direction::upstream ? RandomPurpose::upstream : RandomPurpose::downstream;
    DatagramParams params{*spec.type, toxic.attrs,
                          Rng::derive(context_.seed(), tid, id_, purpose, toxic.window),
                          proxy_.spec().buffer};
    auto stage = make_datagram_stage(params);
    if (!stage) continue;
    if (std::none_of(toxics_.begin(), toxics_.end(),
                     [&](const ToxicCounts& c) { return c.toxic == toxic.index; })) {
      toxics_.push_back({toxic.index, {}});
    }
    way->pipeline().add(toxic.index, spec.order, std::move(stage));
  }
  arm();
}

void UdpFlow::update(ToxicIndex toxic, const std::vector<double>& attrs) {
  if (closing_) return;
  up_.pipeline().update(toxic, attrs);
  down_.pipeline().update(toxic, attrs);
  arm(true);
}

void UdpFlow::remove(ToxicIndex toxic) {
  if (closing_) return;
  up_.pipeline().remove(toxic);
  down_.pipeline().remove(toxic);
  arm(true);
}

void UdpFlow::arm(bool force) {
  if (closing_) return;
  Micros stages = std::min(up_.pipeline().next_wakeup(), down_.pipeline().next_wakeup());
  Micros wake = last_activity_ + proxy_.spec().idle_timeout;
  if (stages == kNever) {
    stage_timer_.stop();
  } else if (!stage_timer_.armed() || stage_timer_.deadline() != stages) {
    context_.timers().start(stage_timer_, stages);
  }
  if (!force && wake >= armed_for_) return;
  armed_for_ = wake;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<UdpFlow*>(t->data)->on_timer(); },
      timer_ms_until(context_.loop(), wake), 0);
}

void UdpFlow::on_stage_timer() {
  up_.pipeline().run_timers();
  down_.pipeline().run_timers();
  arm();
  proxy_.outbox().flush();
}

void UdpFlow::on_timer() {
  armed_for_ = kNever;
  up_.pipeline().run_timers();
  down_.pipeline().run_timers();
  Micros now = context_.now();
  // Datagrams a toxic still holds (a stall longer than idle_timeout) keep
  // the flow open: they are traffic yet to come.
  if (up_.pipeline().held() + down_.pipeline().held() > 0)
    last_activity_ = std::max(last_activity_, now);
  if (now >= last_activity_ + proxy_.spec().idle_timeout) {
    close("idle");
  } else {
    arm(true);
  }
  proxy_.outbox().flush();
}

void UdpFlow::close(const char* reason, const std::string& error) {
  if (closing_) return;
  closing_ = true;
  proxy_.forget(this);
  proxy_.outbox().forget(this);
  stage_timer_.stop();
  if (lookup_ != nullptr) {
    Resolver::cancel(lookup_);
    lookup_ = nullptr;
  }
  up_.pipeline().clear();
  down_.pipeline().clear();
  waiting_.clear();
  report_close(reason, error);
  auto closed = [](uv_handle_t* h) { static_cast<UdpFlow*>(h->data)->on_handle_closed(); };
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), closed);
  if (fd_ >= 0) uv_close(reinterpret_cast<uv_handle_t*>(&poll_), closed);
}

void UdpFlow::report_close(const char* reason, const std::string& error) {
  context_.count_flow(totals_);
  if (!context_.events().wants("flow_close")) return;
  static const char* fate_names[] = {"dropped", "duplicated", "reordered", "corrupted"};
  std::string json = "{";
  std::string text;
  for (const auto& c : toxics_) {
    const std::string& name = context_.toxic_spec(c.toxic).name;
    if (json.size() > 1) json += ',';
    append_json_string(json, name);
    json += ":{";
    if (!text.empty()) text += ' ';
    text += name + "(";
    for (size_t f = 0; f < kDatagramFates; ++f) {
      if (f > 0) {
        json += ',';
        text += ' ';
      }
      json += "\"" + std::string(fate_names[f]) + "\":" + std::to_string(c.fates[f]);
      text += std::string(fate_names[f]) + "=" + std::to_string(c.fates[f]);
    }
    json += '}';
    text += ')';
  }
  json += '}';
  Event e(context_.events(), "flow_close");
  e.str("proxy", proxy_.spec().name)
      .num("flow", id_)
      .str("reason", reason)
      .num("datagrams_up", totals_.datagrams_up)
      .num("datagrams_down", totals_.datagrams_down)
      .num("bytes_up", totals_.bytes_up)
      .num("bytes_down", totals_.bytes_down)
      .num("dropped", totals_.dropped)
      .num("duplicated", totals_.duplicated)
      .num("reordered", totals_.reordered)
      .num("corrupted", totals_.corrupted)
      .num("unreachable", unreachable_)
      .num("duration_ms", static_cast<double>(context_.now() - opened_at_) / 1e3, 3)
      .object("toxics", json, text.empty() ? "none" : text);
  if (!error.empty()) e.str("error", error);
}

void UdpFlow::on_handle_closed() {
  if (--pending_closes_ > 0) return;
  if (fd_ >= 0) ::close(fd_);
  delete this;
}

}  // namespace jinx
