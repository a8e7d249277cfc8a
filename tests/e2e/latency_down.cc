// The two toxics of the core issue: latency (with jitter) and down.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "e2e.h"

using namespace jinx_test;

namespace {

std::string latency_scenario(const std::string& upstream, const std::string& toxic_keys) {
  return proxy_toml("p", upstream) +
         "[[toxic]]\nname = \"lag\"\nproxy = \"p\"\ntype = \"latency\"\n" + toxic_keys + "\n";
}

}  // namespace

TEST_SUITE("latency") {
  TEST_CASE("latency: 100ms downstream adds 100ms to every round trip") {
    EchoServer up;
    auto jinx = JinxProcess::run(latency_scenario(up.address(), "latency = \"100ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "lag"));
    CHECK(on["type"] == "latency");
    CHECK(on["stream"] == "downstream");
    CHECK(on["window"] == 0);
    CHECK(on["attributes"]["latency"] == 100);

    Socket c = connect_or_throw(addr);
    for (int i = 0; i < 8; ++i) {
      double rtt = echo_rtt_ms(c.fd());
      CAPTURE(i);
      CHECK(rtt >= 100 - kEarly);
      CHECK(rtt <= 100 + kLate);
    }
  }

  TEST_CASE("latency: no round trip comes in under the setting") {
    // Issue 9 #11: 19.48 ms for 20 ms, 4.77 for 5: chunks were stamped with
    // the loop's cached millisecond clock, and timers fired on it.
    // A second proxy, without toxics, keeps the loop busy as a real load
    // does: timers are then checked often, against a clock read once per turn.
    EchoServer up;
    SourceServer bulk(uint64_t{1} << 40, 5);
    auto jinx = JinxProcess::run(latency_scenario(up.address(), "latency = \"5ms\"") +
                                 proxy_toml("q", bulk.address()));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "lag"));
    Socket busy = connect_or_throw(jinx->listen_address("q"));
    std::thread reader([&] { read_for(busy.fd(), 2000ms, false); });
    Socket c = connect_or_throw(addr);
    double lo = 1e9;
    for (int i = 0; i < 150; ++i) lo = std::min(lo, echo_rtt_ms(c.fd()));
    reader.join();
    MEASURED("shortest of 150 round trips " << lo << " ms (latency 5 ms)");
    CHECK(lo >= 5.0);
  }

  TEST_CASE("latency: stream both delays each direction") {
    EchoServer up;
    auto jinx =
        JinxProcess::run(latency_scenario(up.address(), "latency = \"50ms\"\nstream = \"both\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "lag"));
    Socket c = connect_or_throw(addr);
    for (int i = 0; i < 5; ++i) {
      double rtt = echo_rtt_ms(c.fd());
      CAPTURE(i);
      CHECK(rtt >= 100 - kEarly);
      CHECK(rtt <= 100 + kLate);
    }
  }

  TEST_CASE("latency: jitter keeps each delay within latency +- jitter, and varies") {
    EchoServer up;
    auto jinx =
        JinxProcess::run(latency_scenario(up.address(), "latency = \"100ms\"\njitter = \"40ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "lag"));
    CHECK(on["attributes"]["jitter"] == 40);
    Socket c = connect_or_throw(addr);
    double lo = 1e9, hi = 0;
    for (int i = 0; i < 15; ++i) {
      double rtt = echo_rtt_ms(c.fd());
      CAPTURE(i);
      CHECK(rtt >= 60 - kEarly);
      CHECK(rtt <= 140 + kLate);
      lo = std::min(lo, rtt);
      hi = std::max(hi, rtt);
    }
    MEASURED("jittered round trips from " << lo << " to " << hi << " ms");
    CHECK(hi - lo >= 10);  // 15 draws over 80 ms: a spread below 10 ms is ~1e-9
  }

  TEST_CASE("latency: chunks keep their order, each delayed from its own read time") {
    EchoServer up;
    auto jinx =
        JinxProcess::run(latency_scenario(up.address(), "latency = \"100ms\"\njitter = \"50ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "lag"));
    Socket c = connect_or_throw(addr);

    constexpr size_t kMsgs = 100, kSize = 16;
    std::vector<Clock::time_point> sent_at(kMsgs);
    std::thread sender([&] {
      for (size_t i = 0; i < kMsgs; ++i) {
        sent_at[i] = Clock::now();
        send_all(c.fd(), stream_bytes(11, kSize, i * kSize));
        std::this_thread::sleep_for(2ms);
      }
    });
    IoResult r = read_exactly(c.fd(), kMsgs * kSize, 10000ms);
    sender.join();
    REQUIRE_MESSAGE(r.bytes == kMsgs * kSize, r.str());
    CHECK_MESSAGE(r.data == stream_bytes(11, kMsgs * kSize), "bytes reordered or altered");

    // When did the last byte of message i arrive?
    size_t msg = 0;
    uint64_t total = 0;
    double worst_early = 1e9, worst_late = 0;
    for (const Arrival& a : r.arrivals) {
      total += a.bytes;
      for (; msg < kMsgs && (msg + 1) * kSize <= total; ++msg) {
        double delay = ms_between(sent_at[msg], a.at);
        worst_early = std::min(worst_early, delay);
        worst_late = std::max(worst_late, delay);
      }
    }
    MEASURED("per-message delays from " << worst_early << " to " << worst_late << " ms");
    CHECK(worst_early >= 50 - kEarly);
    CHECK(worst_late <= 150 + kLate);
  }

  TEST_CASE("latency: applies to open connections when its window opens, and goes when it closes") {
    EchoServer up;
    auto jinx = JinxProcess::run(
        latency_scenario(up.address(), "latency = \"150ms\"\nstart = \"1s\"\nduration = \"0.6s\""));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("p"));
    CHECK(echo_rtt_ms(c.fd()) < 50);  // before the window (t < 1s)
    REQUIRE(jinx->find(ev("toxic_on")).empty());

    jinx->wait_event(ev("toxic_on").with("toxic", "lag"), 3000ms);
    double during = echo_rtt_ms(c.fd());
    CHECK(during >= 150 - kEarly);
    CHECK(during <= 150 + kLate);

    // A message in flight when the window closes is handed on, not lost.
    std::string msg = stream_bytes(12, 64);
    REQUIRE(send_all(c.fd(), msg).ok());
    jinx->wait_event(ev("toxic_off").with("toxic", "lag"), 3000ms);
    IoResult r = read_exactly(c.fd(), msg.size(), 2000ms);
    CHECK(r.data == msg);
    CHECK(echo_rtt_ms(c.fd()) < 50);
  }

  TEST_CASE("latency: 100ms latency still carries bulk data fast") {
    constexpr uint64_t N = 64 * MiB;
    SourceServer up(N, 13);
    auto jinx = JinxProcess::run(latency_scenario(up.address(), "latency = \"100ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "lag"));
    auto t0 = Clock::now();
    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 60000ms, false);
    double secs = ms_since(t0) / 1000;
    CHECK(r.eof);
    CHECK(r.bytes == N);
    CHECK(r.digest == stream_digest(13, N));
    double mb_s = static_cast<double>(r.bytes) / 1e6 / secs;
    MEASURED("64 MiB through latency 100ms in " << secs << " s: " << mb_s << " MB/s");
    CHECK(mb_s >= 50);  // target 200 MB/s (fidelity bench); loose on a loaded machine
  }

}  // TEST_SUITE

TEST_SUITE("down") {
  TEST_CASE("down: refuses connections during its window, then serves the same address") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "outage"
proxy = "p"
type = "down"
start = "0.4s"
duration = "0.8s"
)");
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "outage"), 3000ms);
    CHECK(on["type"] == "down");

    ConnectResult r = connect_until(addr, 300ms, [](int e) { return e == ECONNREFUSED; });
    CHECK_MESSAGE(r.error == ECONNREFUSED, "connect during down: " << errname(r.error));
    if (jinx->find(ev("toxic_off")).empty()) {
      ConnectResult again = connect_tcp(addr, 1000ms);
      CHECK_MESSAGE(again.error == ECONNREFUSED, "second connect: " << errname(again.error));
    }

    jinx->wait_event(ev("toxic_off").with("toxic", "outage"), 3000ms);
    ConnectResult back = connect_until(addr, 500ms, [](int e) { return e == 0; });
    REQUIRE_MESSAGE(back.error == 0, "connect after down: " << errname(back.error));
    CHECK(echo_rtt_ms(back.sock.fd()) < 100);
  }

  TEST_CASE("down: closes the connections open when its window opens") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "outage"
proxy = "p"
type = "down"
start = "0.8s"
duration = "0.5s"
)");
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("p"));
    CHECK(echo_rtt_ms(c.fd()) < 100);
    REQUIRE(jinx->find(ev("toxic_on")).empty());

    jinx->wait_event(ev("toxic_on").with("toxic", "outage"), 3000ms);
    IoResult r = read_until_eof(c.fd(), 2000ms);
    CHECK_MESSAGE((r.eof || r.error), "still open during down: " << r.str());
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "proxy_down");
  }

}  // TEST_SUITE

namespace {

// A socket listening on 127.0.0.1:port, to take a port from jinx.
Socket listen_on(uint16_t port) {
  Socket s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  int one = 1;
  setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(s.fd(), 8) != 0)
    return Socket();
  return s;
}

}  // namespace

TEST_SUITE("down") {
  // Issue 9 #16: the warning named the configured 127.0.0.1:0, not the port
  // jinx had bound and tries to bind again.
  TEST_CASE("down: when the port is taken meanwhile, the warning names the real port") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "outage"
proxy = "p"
type = "down"
start = "0.3s"
duration = "0.4s"
)");
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "outage"), 3000ms);
    Socket thief = listen_on(port_of(addr));
    REQUIRE(thief.valid());
    json warning = jinx->wait_event(
        [](const json& e) {
          return e.value("event", "") == "warning" &&
                 e.value("message", "").find("retrying") != std::string::npos;
        },
        3000ms, "the rebind warning");
    std::string message = warning["message"];
    CHECK_MESSAGE(message.find(addr) != std::string::npos, message);
    CHECK(message.find("127.0.0.1:0:") == std::string::npos);
    thief.close();
    // It binds the same port again within the retry period.
    ConnectResult back = connect_until(addr, 2500ms, [](int e) { return e == 0; });
    REQUIRE_MESSAGE(back.error == 0, "connect after the port came free: " << errname(back.error));
    CHECK(echo_rtt_ms(back.sock.fd()) < 100);
  }
}  // TEST_SUITE
