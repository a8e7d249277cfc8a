// Loop-level tests of the relay: RelayDirection, Connection and Proxy on a
// real libuv loop with real sockets on 127.0.0.1. The peers are plain
// non-blocking POSIX sockets polled between loop turns, so one thread plays
// client, relay and upstream. Each test ends by closing every handle and
// asserting uv_loop_close() == 0: a handle left behind fails the test that
// leaked it.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "close_reason.h"
#include "event_log.h"
#include "proxy.h"
#include "relay_context.h"
#include "relay_direction.h"
#include "resolver.h"

namespace jinx {
namespace {

// Event lines kept in memory.
class StringSink final : public EventSink {
 public:
  void add_line(std::string_view line) override { text.append(line); }
  void flush() override {}
  bool pending() const override { return false; }
  std::string text;
};

// A RelayContext over its own loop, with events captured in memory.
class FakeContext final : public RelayContext {
 public:
  FakeContext() : log_(sink_, EventFormat::json) {
    uv_loop_init(&loop_);
    log_.set_clock([this] { return now(); });
    std::string err;
    REQUIRE_MESSAGE(timers_.open(&loop_, &err), err);
  }
  FakeContext(const FakeContext&) = delete;
  FakeContext& operator=(const FakeContext&) = delete;

  uv_loop_t* loop() override { return &loop_; }
  Micros now() const override { return loop_clock_now(); }
  EventLog& events() override { return log_; }
  LoopTimers& timers() override { return timers_; }
  uint64_t seed() const override { return 1; }
  const ToxicSpec& toxic_spec(ToxicIndex toxic) const override { return toxics_.at(toxic.value); }
  // The tests dial literal addresses: nothing asks for the resolver unless
  // one dials a name.
  Resolver& resolver() override {
    if (!resolver_) {
      std::string err;
      resolver_ = Resolver::create(&loop_, &err);
      REQUIRE_MESSAGE(resolver_, err);
    }
    return *resolver_;
  }
  bool ending() const override { return false; }
  uint64_t next_connection_id() override { return ++ids_; }
  void connection_opened() override { ++open_; }
  void connection_closed() override { --open_; }
  void count_closed(uint64_t up, uint64_t down) override {
    closed_up_ += up;
    closed_down_ += down;
  }
  uint64_t next_flow_id() override { return ++flow_ids_; }
  void count_flow(const FlowTotals& totals) override { flow_totals_.add(totals); }

  // Every event written so far.
  std::string output() { return sink_.text; }
  uint64_t open() const { return open_; }
  uint64_t closed_down() const { return closed_down_; }
  const FlowTotals& flow_totals() const { return flow_totals_; }

 private:
  uv_loop_t loop_{};
  uint64_t flow_ids_ = 0;
  FlowTotals flow_totals_;
  StringSink sink_;
  EventLog log_;
  std::vector<ToxicSpec> toxics_;
  LoopTimers timers_;
  std::unique_ptr<Resolver> resolver_;
  uint64_t ids_ = 0, open_ = 0, closed_up_ = 0, closed_down_ = 0;
};

// Turns the loop until `done` holds, for at most `ms` of loop time.
bool run_until(uv_loop_t* loop, const std::function<bool()>& done, uint64_t ms = 5000) {
  uv_timer_t tick;  // wakes the loop, so peers polled in done() are seen
  uv_timer_init(loop, &tick);
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 2, 2);
  uv_update_time(loop);
  uint64_t deadline = uv_now(loop) + ms;
  bool ok = done();
  while (!ok && uv_now(loop) < deadline) {
    uv_run(loop, UV_RUN_ONCE);
    ok = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

// Closes what is left, lets the close callbacks run, and closes the loop.
int close_loop(uv_loop_t* loop) {
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (uv_is_closing(h) == 0) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop);
}

int nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  return sa;
}

uint16_t port_of(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

// A listening POSIX socket on 127.0.0.1, port 0.
int listen_any() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa = loopback(0);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(listen(fd, 8) == 0);
  return nonblocking(fd);
}

// A non-blocking connect to 127.0.0.1:port.
int connect_to(uint16_t port) {
  int fd = nonblocking(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa = loopback(port);
  connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  return fd;
}

// Both ends of one TCP connection on 127.0.0.1.
void socket_pair(int* a, int* b) {
  int server = listen_any();
  *a = connect_to(port_of(server));
  int accepted = -1;
  for (int i = 0; i < 1000 && accepted < 0; ++i) {
    accepted = accept(server, nullptr, nullptr);
    if (accepted < 0) usleep(1000);
  }
  REQUIRE(accepted >= 0);
  *b = nonblocking(accepted);
  close(server);
}

// What a peer received: bytes, and whether its stream ended (and how).
struct Received {
  std::string data;
  bool eof = false;
  int error = 0;
  // Reads what is there now; true once the stream has ended.
  bool poll(int fd) {
    char buf[65536];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        data.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      if (n < 0 && errno != EAGAIN) error = errno;
      return eof || error != 0;
    }
  }
};

// Sends all of `data` from a non-blocking socket, polling the loop between
// attempts (the relay reads it meanwhile).
bool send_all(uv_loop_t* loop, int fd, const std::string& data) {
  size_t sent = 0;
  return run_until(loop, [&] {
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  });
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Records what a direction reports.
struct FakeDirectionOwner final : DirectionOwner {
  uv_loop_t* loop = nullptr;
  bool ended = false, end_out = false;
  int read_error = 0, write_error = 0;
  Micros now() const override { return static_cast<Micros>(uv_now(loop)) * kMicrosPerMs; }
  void source_ended(Direction) override { ended = true; }
  void read_failed(Direction, int status) override { read_error = status; }
  void write_failed(Direction, int status) override { write_error = status; }
  void end_delivered(Direction) override { end_out = true; }
  void backpressure_changed() override {}
  void toxic_close(ToxicIndex, bool) override {}
};

// One RelayDirection on a real loop between two TCP connections on
// 127.0.0.1: the test writes into `writer` and reads from `reader`.
struct OneDirection {
  uv_loop_t loop;
  int writer = -1, source_fd = -1, sink_fd = -1, reader = -1;
  uv_tcp_t source, sink;
  FakeDirectionOwner owner;
  LoopTimers timers;
  std::optional<RelayDirection> dir;

  OneDirection() {
    REQUIRE(uv_loop_init(&loop) == 0);
    socket_pair(&writer, &source_fd);
    socket_pair(&sink_fd, &reader);
    owner.loop = &loop;
  }
  OneDirection(const OneDirection&) = delete;
  OneDirection& operator=(const OneDirection&) = delete;
  ~OneDirection() {
    close(writer);
    close(reader);
  }
  // Hands the middle sockets to libuv and starts relaying from source to
  // sink, holding at most `cap`.
  RelayDirection& start(uint64_t cap) {
    uv_tcp_init(&loop, &source);
    uv_tcp_init(&loop, &sink);
    REQUIRE(uv_tcp_open(&source, source_fd) == 0);
    REQUIRE(uv_tcp_open(&sink, sink_fd) == 0);
    std::string err;
    REQUIRE_MESSAGE(timers.open(&loop, &err), err);
    dir.emplace(owner, Direction::upstream, cap, timers);
    dir->bind(reinterpret_cast<uv_stream_t*>(&source), reinterpret_cast<uv_stream_t*>(&sink));
    dir->sink_connected();
    dir->unblock(RelayDirection::kNotConnected);
    return *dir;
  }
  // 0 when every handle closed cleanly.
  int close_loop() {
    dir->stop();
    return jinx::close_loop(&loop);
  }
};

TEST_CASE("relay direction: bytes and then the FIN go from source to sink, on a real loop") {
  OneDirection d;
  RelayDirection& dir = d.start(1 << 20);
  std::string message = pattern(300'000);
  REQUIRE(send_all(&d.loop, d.writer, message));
  shutdown(d.writer, SHUT_WR);
  Received got;
  CHECK(run_until(&d.loop, [&] { return got.poll(d.reader) && d.owner.end_out; }));
  CHECK(got.data == message);
  CHECK(got.eof);
  CHECK(d.owner.ended);
  CHECK(d.owner.read_error == 0);
  CHECK(d.owner.write_error == 0);
  CHECK(dir.bytes_delivered() == message.size());
  CHECK(dir.held() == 0);
  CHECK(d.close_loop() == 0);
}

TEST_CASE("relay direction: behind a sink that never reads, a splice holds no more than the cap") {
  OneDirection d;  // `reader` never reads
  // Both ways full before the direction starts: the sink takes nothing
  // more, and the source holds far more than a pipe load.
  const std::string chunk = pattern(64 * 1024);
  auto fill = [&](int fd) {
    uint64_t total = 0;
    ssize_t n;
    while ((n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL)) > 0) {
      total += static_cast<uint64_t>(n);
    }
    return total;
  };
  fill(nonblocking(d.sink_fd));
  const uint64_t queued = fill(d.writer);
  REQUIRE(queued > (2u << 20));
  constexpr uint64_t kCap = 64 * 1024;  // a pipe load is 1 MiB
  RelayDirection& dir = d.start(kCap);

  uint64_t most_held = 0;
  int turns = 0;
  run_until(&d.loop, [&] {
    most_held = std::max(most_held, dir.held());
    return ++turns > 50;
  });
  CHECK(dir.held() > 0);  // jinx holds bytes: the bound below is not vacuous
  CHECK(most_held <= kCap);
  CHECK(d.close_loop() == 0);
}

// A proxy on 127.0.0.1:0 in front of `upstream_port`.
ProxySpec proxy_spec(uint16_t upstream_port) {
  ProxySpec spec;
  spec.name = "p";
  spec.listen_host = "127.0.0.1";
  spec.upstream_host = "127.0.0.1";
  spec.upstream_port = upstream_port;
  spec.connect_timeout = kMicrosPerSecond;
  return spec;
}

uint16_t bound_port(const Proxy& proxy) {
  const std::string& a = proxy.bound_address();
  return static_cast<uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
}

// The upstream's end of the connection the relay dialled.
int accept_upstream(uv_loop_t* loop, int server) {
  int fd = -1;
  run_until(loop, [&] { return (fd = accept(server, nullptr, nullptr)) >= 0; });
  return fd < 0 ? fd : nonblocking(fd);
}

TEST_CASE("proxy: relays a client to its upstream and back, then every handle closes") {
  FakeContext ctx;
  int upstream_server = listen_any();
  ProxySpec spec = proxy_spec(port_of(upstream_server));  // the proxy keeps a reference
  {
    Proxy proxy(ctx, spec);
    std::string err;
    REQUIRE_MESSAGE(proxy.listen(&err), err);
    int client = connect_to(bound_port(proxy));
    int upstream = accept_upstream(ctx.loop(), upstream_server);
    REQUIRE(upstream >= 0);
    CHECK(ctx.open() == 1);

    REQUIRE(send_all(ctx.loop(), client, "ping"));
    Received at_upstream;
    CHECK(run_until(ctx.loop(),
                    [&] { return at_upstream.poll(upstream) || at_upstream.data == "ping"; }));
    CHECK(at_upstream.data == "ping");
    REQUIRE(send_all(ctx.loop(), upstream, "pong"));
    Received at_client;
    CHECK(
        run_until(ctx.loop(), [&] { return at_client.poll(client) || at_client.data == "pong"; }));
    CHECK(at_client.data == "pong");

    // The client ends; the upstream sees the FIN and ends too.
    shutdown(client, SHUT_WR);
    CHECK(run_until(ctx.loop(), [&] { return at_upstream.poll(upstream); }));
    CHECK(at_upstream.eof);
    shutdown(upstream, SHUT_WR);
    CHECK(run_until(ctx.loop(), [&] { return ctx.open() == 0; }));
    std::string events = ctx.output();
    CHECK(events.find(R"("reason":"client_closed")") != std::string::npos);
    CHECK(events.find(R"("bytes_up":4,"bytes_down":4)") != std::string::npos);
    proxy.close_listener();
    CHECK(close_loop(ctx.loop()) == 0);
    close(client);
    close(upstream);
  }
  close(upstream_server);
}

// A proxy on a real loop and one connection through it: `client` and
// `upstream` are the peers' ends, played by the test.
struct OneConnection {
  FakeContext ctx;
  int upstream_server = listen_any();
  ProxySpec spec = proxy_spec(port_of(upstream_server));  // the proxy keeps a reference
  Proxy proxy{ctx, spec};
  int client = -1;
  int upstream = -1;

  OneConnection() {
    std::string err;
    REQUIRE_MESSAGE(proxy.listen(&err), err);
    client = connect_to(bound_port(proxy));
    upstream = accept_upstream(ctx.loop(), upstream_server);
    REQUIRE(upstream >= 0);
  }
  OneConnection(const OneConnection&) = delete;
  OneConnection& operator=(const OneConnection&) = delete;
  ~OneConnection() {
    if (client >= 0) close(client);
    if (upstream >= 0) close(upstream);
    close(upstream_server);
  }
  bool run_until(const std::function<bool()>& done, uint64_t ms = 5000) {
    return jinx::run_until(ctx.loop(), done, ms);
  }
  // 0 when the connection's handles and the listener closed cleanly.
  int close_loop() {
    proxy.close_listener();
    return jinx::close_loop(ctx.loop());
  }
  // Closes `fd` with an RST.
  static void reset(int& fd) {
    linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    close(fd);
    fd = -1;
  }
};

TEST_CASE("proxy: TCP urgent data neither ends nor stalls a direction that splices") {
  // splice(2) stops at the urgent mark: it returned 0 there (a false FIN on
  // Linux 6.18) or EAGAIN on a readable socket (a busy loop on 6.1).
  OneConnection c;
  Received at_upstream;
  auto upstream_has = [&](const std::string& want) {
    return c.run_until([&] { return at_upstream.poll(c.upstream) || at_upstream.data == want; }) &&
           at_upstream.data == want;
  };
  REQUIRE(send_all(c.ctx.loop(), c.client, "abc"));
  CHECK(upstream_has("abc"));
  // The urgent byte goes out of band, as for a relay that reads with
  // recv(2) without SO_OOBINLINE: the stream carries on without it.
  REQUIRE(send(c.client, "!", 1, MSG_OOB) == 1);
  REQUIRE(send_all(c.ctx.loop(), c.client, "def"));
  CHECK(upstream_has("abcdef"));
  CHECK_FALSE(at_upstream.eof);
  REQUIRE(send_all(c.ctx.loop(), c.client, "ghi"));
  CHECK(upstream_has("abcdefghi"));
  CHECK(c.ctx.open() == 1);

  shutdown(c.client, SHUT_WR);
  CHECK(c.run_until([&] { return at_upstream.poll(c.upstream); }));
  CHECK(at_upstream.eof);
  shutdown(c.upstream, SHUT_WR);
  CHECK(c.run_until([&] { return c.ctx.open() == 0; }));
  CHECK(c.ctx.output().find(R"("reason":"client_closed")") != std::string::npos);
  CHECK(c.close_loop() == 0);
}

TEST_CASE("proxy: urgent data right before the FIN costs no byte after it") {
  // splice(2) gives 0 at the urgent mark once the FIN is in, as at the end.
  OneConnection c;
  REQUIRE(send_all(c.ctx.loop(), c.client, "abc"));
  REQUIRE(send(c.client, "!", 1, MSG_OOB) == 1);
  REQUIRE(send(c.client, "def", 3, 0) == 3);
  shutdown(c.client, SHUT_WR);  // all of it in before the relay reads
  Received at_upstream;
  CHECK(c.run_until([&] { return at_upstream.poll(c.upstream); }));
  CHECK(at_upstream.data == "abcdef");
  CHECK(at_upstream.eof);
  shutdown(c.upstream, SHUT_WR);
  CHECK(c.run_until([&] { return c.ctx.open() == 0; }));
  CHECK(c.close_loop() == 0);
}

TEST_CASE("proxy: a peer's FIN then reset reach the other peer as FIN then reset") {
  // The ended side is no longer read: the reset watch finds the reset,
  // though nothing is written either way.
  OneConnection c;
  bool client_resets = true;
  bool before_read = true;  // the RST is in before jinx reads the FIN
  SUBCASE("the client resets, before jinx reads its FIN") {}
  SUBCASE("the client resets, after jinx read its FIN") {
    before_read = false;
  }
  SUBCASE("the upstream resets, before jinx reads its FIN") {
    client_resets = false;
  }
  SUBCASE("the upstream resets, after jinx read its FIN") {
    client_resets = false;
    before_read = false;
  }
  int& ender = client_resets ? c.client : c.upstream;
  int& other = client_resets ? c.upstream : c.client;

  REQUIRE(send_all(c.ctx.loop(), ender, "abc"));
  Received got;
  CHECK(c.run_until([&] { return got.poll(other) || got.data == "abc"; }));
  shutdown(ender, SHUT_WR);
  if (!before_read) CHECK(c.run_until([&] { return got.poll(other); }));
  OneConnection::reset(ender);
  CHECK(c.run_until([&] { return got.poll(other); }));
  CHECK(got.data == "abc");
  CHECK(got.eof);  // the FIN went on first
  CHECK(c.run_until([&] { return c.ctx.open() == 0; }, 3000));
  CHECK(c.ctx.output().find(client_resets ? R"("reason":"client_reset")"
                                          : R"("reason":"upstream_reset")") != std::string::npos);
  // The other peer, which had the FIN already, now holds the reset
  // (EPIPE: it came in CLOSE_WAIT), as it would connected directly.
  int so_error = 0;
  socklen_t len = sizeof so_error;
  CHECK(getsockopt(other, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0);
  CHECK_MESSAGE((so_error == EPIPE || so_error == ECONNRESET), "SO_ERROR " << so_error);
  CHECK(c.close_loop() == 0);
}

TEST_CASE("connection: an upstream that refuses resets the client") {
  FakeContext ctx;
  int gone = listen_any();
  uint16_t port = port_of(gone);
  close(gone);  // nothing listens there now
  {
    ProxySpec spec = proxy_spec(port);  // the proxy keeps a reference
    Proxy proxy(ctx, spec);
    std::string err;
    REQUIRE_MESSAGE(proxy.listen(&err), err);
    int client = connect_to(bound_port(proxy));
    Received got;
    CHECK(run_until(ctx.loop(), [&] { return got.poll(client) && ctx.open() == 0; }));
    CHECK(got.error == ECONNRESET);
    CHECK(ctx.output().find(R"("reason":"upstream_unreachable")") != std::string::npos);
    proxy.close_listener();
    CHECK(close_loop(ctx.loop()) == 0);
    close(client);
  }
}

TEST_CASE("connection: closing winds down, so the client gets every byte the relay read") {
  FakeContext ctx;
  int upstream_server = listen_any();
  {
    ProxySpec spec = proxy_spec(port_of(upstream_server));  // the proxy keeps a reference
    Proxy proxy(ctx, spec);
    std::string err;
    REQUIRE_MESSAGE(proxy.listen(&err), err);
    int client = connect_to(bound_port(proxy));
    // The client reads nothing for now: its buffers fill.
    int upstream = accept_upstream(ctx.loop(), upstream_server);
    REQUIRE(upstream >= 0);
    std::string reply = pattern(2'000'000);
    size_t sent = 0;
    // Until the relay stops taking more (the client does not read).
    run_until(
        ctx.loop(),
        [&] {
          ssize_t n =
              send(upstream, reply.data() + sent, reply.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n > 0) sent += static_cast<size_t>(n);
          return sent == reply.size();
        },
        300);
    REQUIRE(sent > 0);
    proxy.close_connections(CloseReason::shutdown);
    CHECK(ctx.open() == 1);  // winding down: it still holds the client's bytes

    // Now the client reads: everything the relay took arrives, then FIN.
    Received got;
    CHECK(run_until(ctx.loop(), [&] { return got.poll(client) && ctx.open() == 0; }));
    CAPTURE(got.error);
    CHECK(got.eof);
    CHECK(got.data.size() <= sent);
    CHECK(got.data == reply.substr(0, got.data.size()));
    CHECK(ctx.closed_down() == got.data.size());
    CHECK(ctx.output().find(R"("reason":"shutdown")") != std::string::npos);
    proxy.close_listener();
    CHECK(close_loop(ctx.loop()) == 0);
    close(client);
    close(upstream);
  }
  close(upstream_server);
}

}  // namespace
}  // namespace jinx
