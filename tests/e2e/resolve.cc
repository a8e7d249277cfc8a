// Upstream and listen names: looked up on the loop (c-ares), every address
// of a name tried or bound. The hosts file comes from CARES_HOSTS and the DNS
// server from JINX_DNS_SERVERS, so these tests do not depend on the machine's
// /etc/hosts or resolv.conf.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e.h"

using namespace jinx_test;

namespace {

// A DNS server on 127.0.0.1 that never answers: a UDP socket nobody reads.
class SilentDns {
 public:
  SilentDns() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("silent DNS server: " + std::string(std::strerror(errno)));
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentDns() { ::close(fd_); }
  SilentDns(const SilentDns&) = delete;
  SilentDns& operator=(const SilentDns&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// jinx with a hosts file of our own and, if given, a DNS server.
JinxOptions name_options(const std::string& hosts, const std::string& dns = "") {
  JinxOptions opts;
  opts.dir = std::make_shared<TempDir>();
  opts.env.emplace_back("CARES_HOSTS", opts.dir->write("hosts", hosts));
  if (!dns.empty()) opts.env.emplace_back("JINX_DNS_SERVERS", dns);
  return opts;
}

// A name with both loopback addresses, ::1 first, as Debian's /etc/hosts
// has for localhost; not in the machine's /etc/hosts.
const char* kBothFirstV6 = "::1 localhost jinx-both\n127.0.0.1 localhost jinx-both\n";

// Connects to [::1]:port; 0 or errno.
int connect_v6_loopback(uint16_t port, Socket* out) {
  Socket s(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return errno;
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_addr = in6addr_loopback;
  a6.sin6_port = htons(port);
  if (connect(s.fd(), reinterpret_cast<sockaddr*>(&a6), sizeof a6) != 0) return errno;
  *out = std::move(s);
  return 0;
}

bool no_ipv6(int error) {
  return error == EADDRNOTAVAIL || error == EAFNOSUPPORT || error == ENETUNREACH;
}

}  // namespace

TEST_SUITE("resolve") {
  TEST_CASE("resolve: names that never resolve starve no other proxy, and jinx exits at once") {
    SilentDns dns;
    EchoServer up;
    std::string scenario = proxy_toml("dead", "never-answers.test:9", "connect_timeout = \"60s\"") +
                           proxy_toml("live", "localhost:" + std::to_string(up.port()));
    auto jinx =
        JinxProcess::run(scenario, {}, {}, name_options("127.0.0.1 localhost\n", dns.address()));
    INFO(jinx->describe());

    // 100 clients whose upstream lookups never end.
    std::string dead = jinx->listen_address("dead");
    std::vector<Socket> waiting;
    for (int i = 0; i < 100; ++i) waiting.push_back(connect_or_throw(dead));
    jinx->wait_count(ev("conn_open").with("proxy", "dead"), 100, 10000ms);

    // The healthy proxy's clients still get their echo at once.
    std::string live = jinx->listen_address("live");
    double worst = 0;
    for (int i = 0; i < 10; ++i) {
      Socket c = connect_or_throw(live);
      worst = std::max(worst, echo_rtt_ms(c.fd()));
    }
    MEASURED("echo through the healthy proxy beside 100 unresolved lookups: worst " << worst
                                                                                    << " ms");
    CHECK(worst < 500);
    // The lookups are still waiting (nothing answered, nothing gave up).
    CHECK(jinx->find(ev("conn_close").with("proxy", "dead")).empty());

    jinx->send_signal(SIGTERM);
    Event end = jinx->wait_at(ev("session_end"));
    ExitStatus st = jinx->wait_exit(5000ms);
    double after_end = ms_between(end.arrived, Clock::now());
    MEASURED("exit after session_end with 100 lookups pending: " << after_end << " ms");
    CHECK(st.exited);
    CHECK(after_end < 1000);
    auto closes = jinx->find(ev("conn_close").with("proxy", "dead").with("reason", "shutdown"));
    CHECK(closes.size() == 100);
  }

  TEST_CASE("resolve: a lookup without an answer ends at connect_timeout") {
    SilentDns dns;
    auto jinx =
        JinxProcess::run(proxy_toml("dead", "never-answers.test:9", "connect_timeout = \"1s\""), {},
                         {}, name_options("127.0.0.1 localhost\n", dns.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("dead"));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1), 5000ms);
    CHECK(close["reason"] == "upstream_unreachable");
    CHECK(close.value("error", "") == "cannot resolve never-answers.test: no answer within 1s");
    CHECK(close["duration_ms"].get<double>() >= 1000 - kEarly);
    CHECK(close["duration_ms"].get<double>() < 1000 + 500);
  }

  TEST_CASE("resolve: a name no DNS server can be asked about fails at once") {
    // Nothing listens on the DNS port: the refusal ends the lookup.
    uint16_t closed_udp = 0;
    {
      SilentDns taken;
      closed_udp = port_of(taken.address());
    }
    auto jinx = JinxProcess::run(proxy_toml("bad", "no-such-host.test:9"), {}, {},
                                 name_options("127.0.0.1 localhost\n", address(closed_udp)));
    INFO(jinx->describe());
    ConnectResult cr = connect_tcp(jinx->listen_address("bad"));  // may be reset at once
    json close = jinx->wait_event(ev("conn_close").with("conn", 1), 5000ms);
    CHECK(close["reason"] == "upstream_unreachable");
    CHECK(close.value("error", "").find("cannot resolve no-such-host.test: ") == 0);
    CHECK(close["duration_ms"].get<double>() < 1000);
  }

  TEST_CASE("resolve: an upstream name tries each address until one connects") {
    EchoServer up;  // on 127.0.0.1 only; the name gives ::1 first
    for (std::string host : {"localhost", "jinx-both"}) {
      CAPTURE(host);
      auto jinx = JinxProcess::run(proxy_toml("p", host + ":" + std::to_string(up.port())), {}, {},
                                   name_options(kBothFirstV6));
      INFO(jinx->describe());
      Socket c = connect_or_throw(jinx->listen_address("p"));
      CHECK(echo_rtt_ms(c.fd()) < 500);
      json upstream = jinx->wait_event(ev("conn_upstream").with("conn", 1));
      CHECK(upstream["upstream"] == up.address());
    }
  }

  TEST_CASE("resolve: when no address connects, the error names each") {
    uint16_t port = closed_port();
    auto jinx = JinxProcess::run(proxy_toml("p", "jinx-both:" + std::to_string(port)), {}, {},
                                 name_options(kBothFirstV6));
    INFO(jinx->describe());
    // The reset may come before connect() reports completion: either is fine.
    ConnectResult cr = connect_tcp(jinx->listen_address("p"));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "upstream_unreachable");
    std::string error = close.value("error", "");
    CHECK(error.find("cannot connect to jinx-both:" + std::to_string(port)) == 0);
    CHECK(error.find("[::1]:" + std::to_string(port) + ": ") != std::string::npos);
    CHECK(error.find("127.0.0.1:" + std::to_string(port) + ": connection refused") !=
          std::string::npos);
  }

  TEST_CASE("resolve: listen on a name binds each of its addresses, 127.0.0.1 named first") {
    EchoServer up;
    for (std::string host : {"localhost", "jinx-both"}) {
      CAPTURE(host);
      std::string scenario = "[[proxy]]\nname = \"p\"\nlisten = \"" + host + ":0\"\nupstream = \"" +
                             up.address() + "\"\n";
      auto jinx = JinxProcess::run(scenario, {}, {}, name_options(kBothFirstV6));
      INFO(jinx->describe());
      std::string bound = jinx->listen_address("p");
      REQUIRE(bound.rfind("127.0.0.1:", 0) == 0);
      Socket c = connect_or_throw(bound);
      CHECK(echo_rtt_ms(c.fd()) < 500);

      // ::1 too, on the same port, where the machine has IPv6.
      Socket s6;
      int error = connect_v6_loopback(port_of(bound), &s6);
      if (error == 0) {
        CHECK(echo_rtt_ms(s6.fd()) < 500);
        CHECK(jinx->find(ev("warning")).empty());  // both are loopback addresses
      } else {
        CHECK_MESSAGE(no_ipv6(error), "[::1]:" << port_of(bound) << ": " << errname(error));
        bool warned = false;
        for (const Event& w : jinx->find(ev("warning"))) {
          warned |= w.body.value("message", "").find("but not on [::1]") != std::string::npos;
        }
        CHECK_MESSAGE(warned, "no warning that [::1] is not bound");
      }
    }
  }

  TEST_CASE("resolve: after `down`, every address of a listen name is bound again") {
    EchoServer up;
    std::string scenario = "[[proxy]]\nname = \"p\"\nlisten = \"jinx-both:0\"\nupstream = \"" +
                           up.address() +
                           "\"\n[[toxic]]\nname = \"outage\"\nproxy = \"p\"\ntype = "
                           "\"down\"\nstart = \"0.3s\"\nduration = \"0.3s\"\n";
    auto jinx = JinxProcess::run(scenario, {}, {}, name_options(kBothFirstV6));
    INFO(jinx->describe());
    std::string bound = jinx->listen_address("p");
    Socket before;
    bool ipv6 = connect_v6_loopback(port_of(bound), &before) == 0;
    jinx->wait_event(ev("toxic_off").with("toxic", "outage"), 3000ms);
    ConnectResult back = connect_until(bound, 500ms, [](int e) { return e == 0; });
    REQUIRE_MESSAGE(back.error == 0, "connect after down: " << errname(back.error));
    CHECK(echo_rtt_ms(back.sock.fd()) < 500);
    if (ipv6) {
      Socket s6;
      int error = connect_v6_loopback(port_of(bound), &s6);
      REQUIRE_MESSAGE(error == 0, "[::1] after down: " << errname(error));
      CHECK(echo_rtt_ms(s6.fd()) < 500);
    }
    CHECK(jinx->find(ev("warning")).empty());
  }
}
