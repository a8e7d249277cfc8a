// dig (Debian) against dnsmasq (Debian) on a loopback port, through a jinx
// UDP proxy: lost queries are retried by dig and still resolve; `down`
// makes dig time out; 50 ms of latency shows in dig's own query time.
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>

#include "e2e_like.h"
#include "temp_dir.h"

using namespace jinx_test;

namespace {

constexpr const char* kName = "jinx.test";
constexpr const char* kAddress = "10.1.2.3";

// dnsmasq answering kName with kAddress, on a free loopback port, as any
// user: no daemon, no configuration file, no upstream servers, its own pid
// file.
class Dnsmasq {
 public:
  Dnsmasq() : port_(closed_udp_port()) {
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

  TEST_CASE("latency 50ms shows in dig's query time, +- 2 ms") {
    REQUIRE_MESSAGE(have_tool("dnsmasq"), "dnsmasq is not installed (make test-deps)");
    Dnsmasq dns;
    int direct = 1000;
    for (int i = 0; i < 5; ++i)
      direct = std::min(direct, query_time_ms(Dnsmasq::dig(dns.port(), 1, 2).out));
    auto jinx = jinx_before(dns, "type = \"latency\"\nlatency = \"50ms\"\n");
    INFO(jinx->describe());
    jinx->wait_event(ev("toxic_on"));
    uint16_t port = port_of(jinx->listen_address("dns"));
    std::vector<int> times;
    for (int i = 0; i < 7; ++i) times.push_back(query_time_ms(Dnsmasq::dig(port, 1, 2).out));
    std::sort(times.begin(), times.end());
    MEASURED("dig query time: direct " << direct << " ms; through latency 50ms: min "
                                       << times.front() << ", median " << times[3] << " ms");
    CHECK(direct >= 0);
    CHECK(times.front() >= 50 + direct - 2);
    CHECK(times.front() <= 50 + direct + 2);
  }
}
