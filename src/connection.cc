#include "connection.h"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "address.h"
#include "dialer.h"
#include "event_log.h"
#include "http_layer.h"
#include "match_gate.h"
#include "proxy.h"
#include "random.h"
#include "relay_context.h"
#include "splice_pipe.h"

namespace jinx {

Connection::Connection(Proxy& proxy, uint64_t id)
    : proxy_(proxy),
      context_(proxy.context()),
      id_(id),
      timer_(on_wait_over, this),
      up_(*this, Direction::upstream, proxy.spec().buffer, context_.timers()),
      down_(*this, Direction::downstream, proxy.spec().buffer, context_.timers()) {
  uv_loop_t* loop = context_.loop();
  uv_tcp_init(loop, &client_);
  uv_tcp_init(loop, &upstream_);
  client_.data = this;
  upstream_.data = this;
  up_.bind(reinterpret_cast<uv_stream_t*>(&client_), reinterpret_cast<uv_stream_t*>(&upstream_));
  // The client's socket has TCP_NODELAY from the listener (proxy.cc).
  up_.nodelay_from_second_write();
  down_.bind(reinterpret_cast<uv_stream_t*>(&upstream_), reinterpret_cast<uv_stream_t*>(&client_));
  opened_at_ = uv_hrtime();
  if (proxy.spec().protocol == ProxyProtocol::http) {
    http_ = std::make_unique<HttpLayer>(*this, proxy, up_, down_);
  }
}

Connection::~Connection() = default;

Micros Connection::now() const {
  return context_.now();
}

void Connection::start(Micros dial_delay) {
  // TCP_NODELAY came with the socket: accepted sockets inherit it from the
  // listener (proxy.cc), one system call fewer per connection.
  if (context_.events().wants("conn_open")) {
    sockaddr_storage peer{};
    int len = sizeof peer;
    uv_tcp_getpeername(&client_, reinterpret_cast<sockaddr*>(&peer), &len);
    Event(context_.events(), "conn_open")
        .str("proxy", proxy_.spec().name)
        .num("conn", id_)
        .str("client", format_sockaddr(reinterpret_cast<sockaddr*>(&peer)));
  }
  for (const auto& toxic : proxy_.active()) apply(*toxic);
  // Client bytes are read (and held, within the buffer cap) while dialling
  // when a toxic holds them or slow_open makes the dial long: their read
  // time is what a latency counts from. Otherwise they wait in the kernel
  // for the connect (a few tens of microseconds on a LAN) and then go by
  // splice(2): no read, no write, no buffer for a short connection.
  if (dial_delay > 0 || !up_.pipeline().empty()) up_.unblock(RelayDirection::kNotConnected);
  if (dial_delay > 0) {
    wait(Wait::dial, dial_delay);
  } else {
    dial();
  }
}

void Connection::wait(Wait what, Micros delay) {
  waiting_for_ = what;
  context_.timers().start_in(timer_, delay);
}

void Connection::on_wait_over(MicroTimer& timer) {
  auto* self = static_cast<Connection*>(timer.owner());
  switch (self->waiting_for_) {
    case Wait::dial:
      self->dial();
      break;
    case Wait::connect:
      self->on_connect_timeout();
      break;
    case Wait::watch:
      self->on_watch_tick();
      break;
    case Wait::linger:
      self->on_linger_tick();
      break;
  }
}

void Connection::note_toxic(ToxicIndex toxic) {
  for (auto t : toxics_) {
    if (t == toxic) return;
  }
  toxics_.push_back(toxic);
}

void Connection::apply(const ActiveToxic& toxic) {
  if (closing_) return;
  const ToxicSpec& spec = *toxic.spec;
  if (spec.type->kind != ToxicKind::stage) return;  // request toxics: the HTTP layer's
  uint64_t tid = toxic_id(spec.name);
  for (RelayDirection* dir : {&up_, &down_}) {
    Direction d = dir->direction();
    if (!spec.applies_to(d) || dir->pipeline().has(toxic.index)) continue;
    // With match, first or nth the stage goes on every connection, and
    // toxicity is rolled per request (HttpLayer::pick_bytes).
    bool gated = spec.match_bit >= 0;
    if (!gated) {
      auto roll = d == Direction::upstream ? RandomPurpose::toxicity_upstream
                                           : RandomPurpose::toxicity_downstream;
      Rng dice = Rng::derive(context_.seed(), tid, id_, roll, toxic.window);
      if (!dice.chance(toxic.toxicity)) continue;
    }
    auto purpose = d == Direction::upstream ? RandomPurpose::upstream : RandomPurpose::downstream;
    SharedBudget* budget = const_cast<SharedBudget*>(&toxic.budget[static_cast<int>(d)]);
    StageParams params{*spec.type, toxic.attrs,
                       Rng::derive(context_.seed(), tid, id_, purpose, toxic.window), budget};
    auto stage = make_stage(params);
    if (!stage) continue;
    if (gated) {
      stage = std::make_unique<MatchGate>(std::move(stage), static_cast<unsigned>(spec.match_bit));
    } else {
      note_toxic(toxic.index);  // a gated one is noted when it picks a request
    }
    dir->pipeline().add(toxic.index, spec.order, std::move(stage));
    if (closing_) return;  // a reset_peer with no delay acts at once
    dir->arm_timer();
  }
}

void Connection::update(ToxicIndex toxic, const std::vector<double>& attrs) {
  if (closing_) return;
  for (RelayDirection* dir : {&up_, &down_}) {
    dir->pipeline().update(toxic, attrs);
    dir->arm_timer();
  }
}

void Connection::remove(ToxicIndex toxic) {
  for (RelayDirection* dir : {&up_, &down_}) {
    if (closing_) return;
    if (!dir->pipeline().has(toxic)) continue;
    dir->pipeline().remove(toxic);
    if (!closing_) dir->arm_timer();
  }
}

void Connection::dial() {
  if (closing_) return;
  const ProxySpec& spec = proxy_.spec();
  dial_started_ = uv_hrtime();
  wait(Wait::connect, spec.connect_timeout);
  // A literal address needs no resolver round trip (the common case, and the
  // one that decides connections per second); the proxy parsed it once.
  if (const sockaddr* literal = proxy_.literal_upstream()) {
    connect_to(literal);
    return;
  }
  // A name: resolved on the loop, each of its addresses tried in turn.
  dialer_ =
      Dialer::start(context_.loop(), context_.resolver(), spec.upstream_host, spec.upstream_port,
                    static_cast<uint64_t>(spec.connect_timeout / kMicrosPerMs), &upstream_,
                    [this](const std::string& error) {
                      dialer_ = nullptr;
                      if (error.empty()) {
                        on_connected();
                      } else {
                        upstream_unreachable(error);
                      }
                    });
}

void Connection::on_connect_timeout() {
  std::string limit = format_duration(proxy_.spec().connect_timeout);
  close(CloseReason::upstream_unreachable,
        dialer_ != nullptr && dialer_->resolving()
            ? "cannot resolve " + proxy_.spec().upstream_host + ": no answer within " + limit
            : "connect timeout after " + limit,
        true);
}

void Connection::connect_to(const sockaddr* addr) {
  // The socket is jinx's own, not uv_tcp_connect's: on loopback the
  // handshake is over by the time connect() returns, and the socket then
  // goes to libuv already connected. uv_tcp_connect would watch it for
  // POLLOUT, ask SO_ERROR, then stop watching (two more system calls and
  // a loop turn before the upstream's first bytes are read).
  const std::string name = join_host_port(proxy_.spec().upstream_host, proxy_.spec().upstream_port);
  socklen_t len = addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || (connect(fd, addr, len) != 0 && errno != EINPROGRESS)) {
    int err = uv_translate_sys_error(errno);
    if (fd >= 0) ::close(fd);
    upstream_unreachable("cannot connect to " + name + ": " + uv_strerror(err));
    return;
  }
  int status = handshake_status(fd);
  if (status == kStillConnecting) {
    // Not yet (a real network, or a full accept queue): a Dialer watches
    // the socket and hands it over once connected.
    dialer_ =
        Dialer::watch(context_.loop(), fd, name, &upstream_, [this](const std::string& error) {
          dialer_ = nullptr;
          if (error.empty()) {
            on_connected();
          } else {
            upstream_unreachable(error);
          }
        });
    return;
  }
  if (status == 0) status = uv_tcp_open(&upstream_, fd);
  if (status != 0) {
    ::close(fd);
    upstream_unreachable("cannot connect to " + name + ": " + uv_strerror(status));
    return;
  }
  // Relay at once, as haproxy does: the client's first bytes are likely
  // there already.
  on_connected();
  if (!closing_) up_.splice_now();
}

int Connection::handshake_status(int fd) {
  // A connecting socket turns writable once connected; a failed one also
  // says POLLERR, and SO_ERROR says why.
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, 0) != 1) return kStillConnecting;
  if ((p.revents & (POLLERR | POLLHUP)) != 0) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    return uv_translate_sys_error(err != 0 ? err : ECONNREFUSED);
  }
  return (p.revents & POLLOUT) != 0 ? 0 : kStillConnecting;
}

void Connection::on_connected() {
  if (closing_) return;
  timer_.stop();
  connected_ = true;
  if (context_.events().wants("conn_upstream")) {
    sockaddr_storage peer{};
    int len = sizeof peer;
    uv_tcp_getpeername(&upstream_, reinterpret_cast<sockaddr*>(&peer), &len);
    Event(context_.events(), "conn_upstream")
        .str("proxy", proxy_.spec().name)
        .num("conn", id_)
        .str("upstream", format_sockaddr(reinterpret_cast<sockaddr*>(&peer)))
        .num("connect_ms", static_cast<double>(uv_hrtime() - dial_started_) / 1e6, 3);
  }
  up_.sink_connected();
  if (closing_) return;
  up_.unblock(RelayDirection::kNotConnected);  // if it waited for the connect
  down_.sink_connected();                      // the client was connected all along
  down_.unblock(RelayDirection::kNotConnected);
  backpressure_changed();  // the client may have filled the buffer meanwhile
}

void Connection::upstream_unreachable(std::string error) {
  if (closing_ || answering_only_) return;
  if (!http_ || !http_->may_answer()) {
    close(CloseReason::upstream_unreachable, std::move(error), true);
    return;
  }
  // An HTTP proxy with a request toxic active (http_error, http_rate_limit)
  // answers the requests that toxic picks without the upstream, so the
  // client gets its answer; the first request that needs the upstream ends
  // the connection as a TCP proxy's would (HttpLayer::needs_upstream).
  answering_only_ = true;
  unreachable_ = std::move(error);
  timer_.stop();                        // no connect timeout: the dial is over
  down_.block(RelayDirection::kEnded);  // nothing to read from the failed socket
  down_.sink_connected();               // the client was connected all along
  http_->upstream_unreachable();
  up_.unblock(RelayDirection::kNotConnected);
  if (client_ended_) down_.wind_down();  // its FIN came while dialling
}

void Connection::needs_upstream() {
  close(CloseReason::upstream_unreachable, unreachable_, true);
}

void Connection::source_ended(Direction dir) {
  if (!first_end_) first_end_ = dir;
  if (dir == Direction::upstream) client_ended_ = true;
  // The client is done: once jinx's answers are out, the client's side
  // ends, and with it the connection (end_delivered).
  if (answering_only_ && dir == Direction::upstream) down_.wind_down();
  ++sources_ended_;
  watch_for_resets();
}

void Connection::backpressure_changed() {
  watch_for_resets();
}

bool Connection::needs_reset_watch() const {
  return up_.backpressured() || down_.backpressured() || sources_ended_ == 1;
}

void Connection::watch_for_resets() {
  // A direction that stopped reading no longer sees its peer's RST: not
  // while held back, and not after that peer's FIN, when the reset would
  // otherwise wait until the other side happens to write. Meanwhile the
  // sockets are checked for a pending error every second. The dial timer
  // is free once connected. Only the start is handled here (this runs on
  // every busy write); the timer stops itself.
  if (needs_reset_watch() && connected_ && !closing_ && !watching_) {
    watching_ = true;
    wait(Wait::watch, kMicrosPerSecond);
  }
}

void Connection::on_watch_tick() {
  if (!needs_reset_watch()) {
    watching_ = false;
    return;
  }
  auto* client = reinterpret_cast<uv_stream_t*>(&client_);
  auto* upstream = reinterpret_cast<uv_stream_t*>(&upstream_);
  if (int err = RelayDirection::pending_error(client); err != 0) {
    on_peer_error(Direction::upstream, err);
  } else if (int e = RelayDirection::pending_error(upstream); e != 0) {
    on_peer_error(Direction::downstream, e);
  } else {
    wait(Wait::watch, kMicrosPerSecond);
  }
}

void Connection::on_peer_error(Direction source_dir, int status) {
  bool client_side = source_dir == Direction::upstream;
  // ENOTCONN: the peer reset before we shut our side down.
  if (status == UV_ECONNRESET || status == UV_EPIPE || status == UV_ENOTCONN) {
    close(client_side ? CloseReason::client_reset : CloseReason::upstream_reset, {}, !client_side,
          client_side);
  } else {
    close(CloseReason::error,
          std::string(client_side ? "client: " : "upstream: ") + uv_strerror(status), !client_side,
          client_side);
  }
}

void Connection::write_failed(Direction dir, int status) {
  // A write to the sink failed: the sink's peer is gone. For the upstream
  // direction the sink is the upstream, so it is the source side of `down`.
  on_peer_error(dir == Direction::upstream ? Direction::downstream : Direction::upstream, status);
}

void Connection::end_delivered(Direction dir) {
  if (answering_only_ && dir == Direction::downstream) {
    close(CloseReason::upstream_unreachable, unreachable_);
    return;
  }
  if (up_.end_delivered() && down_.end_delivered()) {
    close(first_end_ == Direction::downstream ? CloseReason::upstream_closed
                                              : CloseReason::client_closed);
  }
}

bool Connection::closes_after_end(Direction dir) const {
  // Not while winding down: the linger counts the FIN shutdown(2) sent.
  const RelayDirection& other = dir == Direction::upstream ? down_ : up_;
  return other.end_delivered() && connected_ && !closing_ && !answering_only_;
}

void Connection::toxic_close(ToxicIndex toxic, bool reset) {
  if (closing_) return;
  note_toxic(toxic);
  closed_by_ = toxic;
  close(CloseReason::toxic, {}, reset, reset);
}

void Connection::close(CloseReason reason, std::string error, bool reset_client,
                       bool reset_upstream) {
  if (finished_) return;
  if (winding_) {
    // A peer reset (or a write failed) while winding down: nothing more
    // can be delivered to it, so stop waiting.
    if (reset_client || reset_upstream) finish(reset_client, reset_upstream);
    return;
  }
  if (closing_) return;
  closing_ = true;
  reason_ = reason;
  error_ = std::move(error);
  // Both FINs already went out after all the data (client_closed,
  // upstream_closed): nothing is left to wait for, and no input is unread.
  bool ended = up_.end_delivered() && down_.end_delivered();
  if (connected_ && !reset_client && !reset_upstream && !ended) {
    wind_down();
  } else {
    finish(reset_client, reset_upstream);
  }
}

void Connection::wind_down() {
  winding_ = true;
  up_.wind_down();
  down_.wind_down();
  // The sockets' reads come back here from the directions.
  client_.data = upstream_.data = this;
  discard_input(&client_);
  discard_input(&upstream_);
  linger_since_ = uv_now(context_.loop());
  watching_ = false;  // the timer now polls for the end of the linger
  wait(Wait::linger, 10 * kMicrosPerMs);
}

void Connection::discard_input(uv_tcp_t* socket) {
  auto* stream = reinterpret_cast<uv_stream_t*>(socket);
  uv_read_stop(stream);
  uv_read_start(
      stream,
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static char scratch[64 * 1024];
        *buf = uv_buf_init(scratch, sizeof scratch);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        if (nread >= 0) return;
        uv_read_stop(s);
        if (nread == UV_EOF) return;
        auto* self = static_cast<Connection*>(s->data);
        bool client = s == reinterpret_cast<uv_stream_t*>(&self->client_);
        // That peer is gone; the other one is reset only if it would
        // otherwise miss bytes that jinx still holds for it.
        self->finish(client || !self->down_.flushed(), !client || !self->up_.flushed());
      });
}

namespace {

// Bytes written to `socket` that its peer has not acknowledged yet. After a
// shutdown the FIN takes one sequence number of its own.
uint64_t unacknowledged(uv_tcp_t* socket, bool fin_sent) {
  uv_os_fd_t fd = -1;
  int queued = 0;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(socket), &fd) != 0 ||
      ioctl(fd, SIOCOUTQ, &queued) != 0 || queued <= 0) {
    return 0;
  }
  return static_cast<uint64_t>(queued) - (fin_sent ? 1 : 0);
}

}  // namespace

void Connection::on_linger_tick() {
  bool flushed = up_.flushed() && down_.flushed();
  bool taken = up_.end_delivered() && down_.end_delivered() &&
               unacknowledged(&upstream_, true) == 0 && unacknowledged(&client_, true) == 0;
  if (flushed && taken) {
    finish(false, false);
  } else if (uv_now(context_.loop()) - linger_since_ >= kLingerMs) {
    // A side that still holds bytes in jinx is reset: its peer must not
    // take the FIN for the end of the data.
    finish(!down_.flushed(), !up_.flushed());
  } else {
    wait(Wait::linger, 10 * kMicrosPerMs);
  }
}

void Connection::finish(bool reset_client, bool reset_upstream) {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  uint64_t up = up_.bytes_delivered();
  uint64_t down = down_.bytes_delivered();
  // A socket closed plainly still delivers what its kernel holds; one that
  // is reset loses what its peer has not acknowledged.
  if (connected_ && reset_upstream) {
    up -= std::min(up, unacknowledged(&upstream_, up_.end_delivered()));
  }
  if (connected_ && reset_client) {
    down -= std::min(down, unacknowledged(&client_, down_.end_delivered()));
  }
  up_.stop();
  down_.stop();
  if (http_) http_->connection_closed();
  report_close(up, down);

  auto closed = [](uv_handle_t* h) { static_cast<Connection*>(h->data)->on_handle_closed(); };
  auto close_socket = [&](uv_tcp_t* socket, bool reset) {
    ++pending_closes_;
    uv_os_fd_t fd = -1;
    if (reset && uv_fileno(reinterpret_cast<uv_handle_t*>(socket), &fd) == 0) {
      // SO_LINGER 0 makes the close an RST. Set here rather than through
      // uv_tcp_close_reset, which refuses a socket already shut down.
      linger off{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(socket), closed);
  };
  client_.data = upstream_.data = this;  // the directions had their reads
  close_socket(&client_, reset_client);
  close_socket(&upstream_, reset_upstream && connected_);
  timer_.stop();
  if (dialer_ != nullptr) {
    dialer_->cancel();  // frees itself
    dialer_ = nullptr;
  }
  // Last: the session may finish (and close every handle left) once the
  // last connection is gone.
  proxy_.forget(this);
}

void Connection::report_close(uint64_t up, uint64_t down) {
  context_.count_closed(up, down);
  if (!context_.events().wants("conn_close")) return;
  std::vector<std::string> names;
  names.reserve(toxics_.size());
  for (auto t : toxics_) names.push_back(context_.toxic_spec(t).name);
  Event e(context_.events(), "conn_close");
  e.str("proxy", proxy_.spec().name)
      .num("conn", id_)
      .str("reason", close_reason_name(reason_))
      .num("bytes_up", up)
      .num("bytes_down", down)
      .num("duration_ms", static_cast<double>(uv_hrtime() - opened_at_) / 1e6, 3)
      .strings("toxics", names.data(), names.data() + names.size());
  if (reason_ == CloseReason::toxic) e.str("toxic", context_.toxic_spec(closed_by_).name);
  if (!error_.empty()) e.str("error", error_);
}

void Connection::on_handle_closed() {
  if (--pending_closes_ == 0) delete this;
}

}  // namespace jinx
