// Peers that stop reading: jinx's memory must stay within the proxy's
// `buffer` (SPEC 6, backpressure), whatever the other side sends. Each test
// measures VmRSS growth with buffer = 1 MiB against a bound of 8 MiB.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "hostile.h"
#include "tcp_server.h"

using namespace jinx_test;

namespace {

constexpr long kBoundKiB = 8 * 1024;  // RSS growth allowed with buffer = 1 MiB

// With `toxic`, every byte goes through the stage pipeline (a latency of
// 1 ms); without, the plain relay (splice) path.
std::string scenario(const std::string& upstream, bool toxic, const char* stream) {
  std::string s = proxy_toml("p", upstream, "buffer = \"1MiB\"");
  if (toxic)
    s += std::string("[[toxic]]\nproxy = \"p\"\ntype = \"latency\"\nstream = \"") + stream +
         "\"\nlatency = \"1ms\"\n";
  return s;
}

long rss_now(JinxProcess& jinx) {
  return rss_kib(jinx.pid());
}

}  // namespace

TEST_SUITE("hostile") {
  TEST_CASE(
      "a client that never reads: RSS stays within the buffer bound while the upstream streams") {
    bool toxic = false;
    SUBCASE("plain relay") {
      toxic = false;
    }
    SUBCASE("through a toxic") {
      toxic = true;
    }
    SourceServer up(/*bytes=*/64 * 1024 * MiB, /*seed=*/61);
    auto jinx = JinxProcess::run(scenario(up.address(), toxic, "downstream"));
    std::string addr = jinx->listen_address("p");
    {  // warm-up: 8 MiB through the same path, then closed
      Socket w = connect_or_throw(addr);
      IoResult r = read_exactly(w.fd(), 8 * MiB, 10000ms);
      REQUIRE_MESSAGE(r.bytes == 8 * MiB, r.str());
    }
    jinx->wait_event(ev("conn_close").with("conn", 1));
    std::this_thread::sleep_for(200ms);
    long base = rss_now(*jinx);

    Socket c = connect_or_throw(addr);  // and never read from it
    uint64_t sent = wait_plateau([&] { return up.log().get(2).sent; }, 1000ms, 10000ms);
    long grown = rss_now(*jinx) - base;
    MEASURED("client never reads (" << (toxic ? "toxic" : "plain") << "): upstream got "
                                    << sent / KiB << " KiB out, jinx RSS +" << grown
                                    << " KiB (baseline " << base << " KiB)");
    CHECK(sent < 64 * MiB);  // backpressure reached the upstream
    CHECK(grown < kBoundKiB);
    ends_cleanly(*jinx);
  }

  TEST_CASE("an upstream that accepts and never reads: RSS stays within the buffer bound") {
    bool toxic = false;
    SUBCASE("plain relay") {
      toxic = false;
    }
    SUBCASE("through a toxic") {
      toxic = true;
    }
    NoReadServer up;
    auto jinx = JinxProcess::run(scenario(up.address(), toxic, "upstream"));
    std::string addr = jinx->listen_address("p");
    // No warm-up connection here: one that fills its path could not be
    // closed (jinx does not notice a client's reset while the upstream
    // direction is stalled; see resets.cc). The baseline is the idle process.
    std::this_thread::sleep_for(200ms);
    long base = rss_now(*jinx);

    Socket c = connect_or_throw(addr);
    // Sends until nothing more is taken for 3 s.
    IoResult sent = send_stream(c.fd(), /*seed=*/63, 1024 * MiB, 3000ms);
    long grown = rss_now(*jinx) - base;
    MEASURED("upstream never reads (" << (toxic ? "toxic" : "plain") << "): client got "
                                      << sent.bytes / KiB << " KiB in, jinx RSS +" << grown
                                      << " KiB (baseline " << base << " KiB)");
    CHECK(sent.timed_out);
    CHECK(sent.bytes < 64 * MiB);
    CHECK(grown < kBoundKiB);
    ends_cleanly(*jinx);
  }

  TEST_CASE(
      "an upstream that trickles tiny writes into a stall: RSS stays within the buffer bound") {
    // The stall toxic holds every byte until its window ends (never, here).
    // Thousands of one-byte reads are a few KiB of data: they must not pin a
    // whole read block each while they wait.
    std::atomic<uint64_t> trickled{0};
    TcpServer up([&](ServerConn& c) {
      int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto until = Clock::now() + 4000ms;
      char byte = 'x';
      while (!c.server->stopping() && Clock::now() < until) {
        if (send(c.fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
          ++trickled;
        else if (errno != EAGAIN)
          return;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
    auto jinx = JinxProcess::run(proxy_toml("p", address(up.port()), "buffer = \"1MiB\"") +
                                 "[[toxic]]\nproxy = \"p\"\ntype = \"stall\"\n");
    std::string addr = jinx->listen_address("p");
    std::this_thread::sleep_for(200ms);
    long base = rss_now(*jinx);

    Socket c = connect_or_throw(addr);
    long peak = 0;
    auto until = Clock::now() + 4500ms;
    while (Clock::now() < until) {
      std::this_thread::sleep_for(250ms);
      peak = std::max(peak, rss_now(*jinx) - base);
      if (peak > 256 * 1024) break;  // no need to watch it grow further
    }
    MEASURED("trickle into a stall: " << trickled.load() << " one-byte writes (" << trickled.load()
                                      << " bytes held), jinx RSS +" << peak
                                      << " KiB at most (baseline " << base << " KiB)");
    CHECK(peak < kBoundKiB);
    c.close();
    up.stop();
    ends_cleanly(*jinx);
  }

}  // TEST_SUITE
