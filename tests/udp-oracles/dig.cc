// dig (Debian) against dnsmasq (Debian) on a loopback port, through a jinx
// UDP proxy: lost queries are retried by dig and still resolve; `down`
// makes dig time out; 50 ms of latency shows in dig's own query time.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <regex>

#include "e2e_like.h"
#include "temp_dir.h"

using namespace jinx_test;

namespace {

constexpr const char* kName = "jinx.test";
constexpr const char* kAddress = "10.1.2.3";

// A port free for both UDP and TCP on 127.0.0.1: dnsmasq binds both.
uint16_t free_tcp_and_udp_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    uint16_t port = closed_udp_port();
    Socket tcp(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    if (bind(tcp.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return port;
  }
  FAIL("no port free for both TCP and UDP");
  return 0;
}

// dnsmasq answering kName with kAddress, on a free loopback port, as any
// user: no daemon, no configuration file, no upstream servers, its own pid
// file.
class Dnsmasq {
 public:
  Dnsmasq() : port_(free_tcp_and_udp_port()) {
    tool_ = std::make_unique<BackgroundTool>(std::vector<std::string>{
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=" + std::to_string(port_),
        "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
        "--address=/" + std::string(kName) + "/" + kAddress,
        "--pid-file=" + dir_.path() + "/dnsmasq.pid"});
    // Ready once it answers (it may take a moment to bind).
    for (int i = 0; i < 100; ++i) {
      if (dig(port_, 1, 1).out.find(kAddress) != std::string::npos) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL("dnsmasq does not answer on port " << port_);
  }
  uint16_t port() const { return port_; }

  // `dig +tries=T +timeout=S` for kName at 127.0.0.1:port.
  static ToolResult dig(uint16_t port, int tries, int timeout_s) {
    return run_tool({"dig", "@127.0.0.1", "-p", std::to_string(port), kName, "A",
                     "+tries=" + std::to_string(tries), "+timeout=" + std::to_string(timeout_s)},
                    ms((tries * timeout_s + 5) * 1000));
  }

 private:
  TempDir dir_;
  uint16_t port_;
  std::unique_ptr<BackgroundTool> tool_;
};

std::unique_ptr<JinxProcess> jinx_before(const Dnsmasq& dns, const std::string& toxic) {
  return JinxProcess::run(
      "seed = 53\n[[proxy]]\nname = \"dns\"\nprotocol = \"udp\"\n"
      "listen = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:" +
      std::to_string(dns.port()) + "\"\n\n[[toxic]]\nproxy = \"dns\"\n" + toxic);
}

// dig's ";; Query time: N msec", or -1.
int query_time_ms(const std::string& out) {
  std::smatch m;
  static const std::regex re(";; Query time: ([0-9]+) msec");
  return std::regex_search(out, m, re) ? std::stoi(m[1]) : -1;
}

// The step of dig's clock on a kernel with HZ=250 (the coarsest Debian
// ships); a finer clock only makes the readings closer.
constexpr int kDigTickMs = 4;

// Round trips (ms) of `n` DNS queries for kName sent to 127.0.0.1:port from
// a socket of ours, each answered with kAddress, timed with the steady clock.
std::vector<double> dns_round_trips(uint16_t port, int n) {
  UdpClient c(address(port));
  std::vector<double> rtts;
  for (int i = 0; i < n; ++i) {
    std::string query("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    query[1] = static_cast<char>(i);
    query += std::string("\x04jinx\x04test\x00\x00\x01\x00\x01", 15);
    auto t0 = Clock::now();
    REQUIRE(c.send(query));
    auto answer = c.receive(2000ms);
    auto t1 = Clock::now();
    REQUIRE(answer);
    CHECK(answer->find(std::string("\x0a\x01\x02\x03", 4)) != std::string::npos);
    rtts.push_back(ms_between(t0, t1));
  }
  std::sort(rtts.begin(), rtts.end());
  return rtts;
}

bool resolved(const ToolResult& r) {
  return r.exit_code() == 0 && r.out.find("status: NOERROR") != std::string::npos &&
         r.out.find(kAddress) != std::string::npos;
}

}  // namespace

TEST_SUITE("dig") {
  TEST_CASE("dig through 30% loss both ways still resolves, through its retries") {
    REQUIRE_MESSAGE(have_tool("dnsmasq"), "dnsmasq is not installed (make test-deps)");
    Dnsmasq dns;
    auto jinx = jinx_before(dns, "type = \"loss\"\nstream = \"both\"\nprobability = \"30%\"\n");
    INFO(jinx->describe());
    jinx->wait_event(ev("toxic_on"));
    uint16_t port = port_of(jinx->listen_address("dns"));
    int answered = 0;
    for (int i = 0; i < 10; ++i) {
      ToolResult r = Dnsmasq::dig(port, 10, 1);
      INFO(r.out);
      answered += resolved(r) ? 1 : 0;
    }
    jinx->send_signal(SIGINT);
    jinx->wait_exit(5000ms);
    json end = jinx->wait_event(ev("session_end"));
    MEASURED("10 lookups through 30% loss: " << answered << " resolved, " << end["dropped"]
                                             << " datagrams dropped");
    CHECK(answered == 10);
    CHECK(end["dropped"].get<int>() >= 1);  // the retries were needed
  }

  TEST_CASE("dig through down times out") {
    REQUIRE_MESSAGE(have_tool("dnsmasq"), "dnsmasq is not installed (make test-deps)");
    Dnsmasq dns;
    auto jinx = jinx_before(dns, "type = \"down\"\n");
    INFO(jinx->describe());
    jinx->wait_event(ev("toxic_on"));
    ToolResult r = Dnsmasq::dig(port_of(jinx->listen_address("dns")), 2, 1);
    INFO(r.out);
    CHECK(r.exit_code() == 9);  // dig: no reply from server
    CHECK(r.out.find("timed out") != std::string::npos);
  }

  TEST_CASE("latency 50ms shows in dig's query time, and in a precise clock, +- 2 ms") {
    REQUIRE_MESSAGE(have_tool("dnsmasq"), "dnsmasq is not installed (make test-deps)");
    Dnsmasq dns;
    auto jinx = jinx_before(dns, "type = \"latency\"\nlatency = \"50ms\"\n");
    INFO(jinx->describe());
    jinx->wait_event(ev("toxic_on"));
    uint16_t port = port_of(jinx->listen_address("dns"));
    // dig's query time comes from a coarse clock (4 ms steps with HZ=250:
    // 50.3 ms reads 48 or 52), so each reading is +-1 step; the median of
    // several, against the median of direct queries, is the check on it.
    std::vector<int> direct, through;
    for (int i = 0; i < 9; ++i) {
      direct.push_back(query_time_ms(Dnsmasq::dig(dns.port(), 1, 2).out));
      through.push_back(query_time_ms(Dnsmasq::dig(port, 1, 2).out));
    }
    std::sort(direct.begin(), direct.end());
    std::sort(through.begin(), through.end());
    // The same queries timed with the steady clock, from a socket of ours.
    std::vector<double> exact_direct = dns_round_trips(dns.port(), 15);
    std::vector<double> exact = dns_round_trips(port, 15);
    double added = exact[exact.size() / 2] - exact_direct[exact_direct.size() / 2];
    MEASURED("dig query time: direct median "
             << direct[4] << " ms, through latency 50ms median " << through[4] << " ms (min "
             << through.front() << ", max " << through.back() << "); steady clock: latency adds "
             << added << " ms (median of 15)");
    CHECK(direct[4] >= 0);
    CHECK(through[4] - direct[4] >= 50 - 2 - kDigTickMs);
    CHECK(through[4] - direct[4] <= 50 + 2 + kDigTickMs);
    CHECK(added >= 50 - 2);
    CHECK(added <= 50 + 2);
  }
}
