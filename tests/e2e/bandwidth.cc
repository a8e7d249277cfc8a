// The bandwidth toxic (issue 3): rate within 3 %, a shared proxy budget,
// rate 0 holding data, memory bounded with a slow rate and a fast sender.
#include "e2e.h"

using namespace jinx_test;

namespace {

std::string bandwidth_scenario(const std::string& upstream, const std::string& keys,
                               const std::string& proxy_extra = "") {
  return proxy_toml("p", upstream, proxy_extra) +
         "[[toxic]]\nname = \"bw\"\nproxy = \"p\"\ntype = \"bandwidth\"\n" + keys + "\n";
}

// Bytes that arrived in [from, to).
uint64_t bytes_between(const IoResult& r, Clock::time_point from, Clock::time_point to) {
  uint64_t n = 0;
  for (const Arrival& a : r.arrivals)
    if (a.at >= from && a.at < to) n += a.bytes;
  return n;
}

}  // namespace

TEST_SUITE("toxics") {
  TEST_CASE("bandwidth: 500KB/s is delivered within 3 % over 2.5 s") {
    constexpr uint64_t N = 1250000;
    SourceServer up(N, 21);
    auto jinx = JinxProcess::run(bandwidth_scenario(up.address(), "rate = \"500KB/s\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "bw"));
    CHECK(on["attributes"]["rate"] == 500000);

    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 20000ms);
    REQUIRE(r.eof);
    REQUIRE(r.bytes == N);
    CHECK(r.digest == stream_digest(21, N));
    REQUIRE(r.arrivals.size() >= 2);
    double secs = ms_between(r.arrivals.front().at, r.arrivals.back().at) / 1000;
    double rate = fitted_rate(r);
    MEASURED("configured 500000 B/s, measured " << rate << " B/s over " << secs << " s ("
                                                << r.arrivals.size() << " reads)");
    CHECK(rate >= 500000 * 0.97);
    CHECK(rate <= 500000 * 1.03);
  }

  TEST_CASE("bandwidth: scope proxy shares one budget fairly between connections") {
    SourceServer up(4000000, 22);
    auto jinx =
        JinxProcess::run(bandwidth_scenario(up.address(), "rate = \"400KB/s\"\nscope = \"proxy\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "bw"));

    Socket a = connect_or_throw(addr);
    Socket b = connect_or_throw(addr);
    auto t0 = Clock::now();
    IoResult ra, rb;
    std::thread ta([&] { ra = read_for(a.fd(), 2600ms, false); });
    std::thread tb([&] { rb = read_for(b.fd(), 2600ms, false); });
    ta.join();
    tb.join();
    // Steady state: from 0.5 s to 2.5 s.
    uint64_t na = bytes_between(ra, t0 + 500ms, t0 + 2500ms);
    uint64_t nb = bytes_between(rb, t0 + 500ms, t0 + 2500ms);
    double total_rate = static_cast<double>(na + nb) / 2.0;
    double share_a = static_cast<double>(na) / static_cast<double>(std::max<uint64_t>(na + nb, 1));
    MEASURED("proxy budget 400000 B/s: measured " << total_rate << " B/s, shares " << na << " / "
                                                  << nb);
    CHECK(total_rate >= 400000 * 0.95);
    CHECK(total_rate <= 400000 * 1.05);
    CHECK(share_a >= 0.4);
    CHECK(share_a <= 0.6);
  }

  TEST_CASE("bandwidth: the default scope connection gives each connection the full rate") {
    // Issue 9 #9: the default acted as scope = "proxy" (two connections at
    // 400KB/s got 200KB/s each).
    SourceServer up(4000000, 24);
    auto jinx = JinxProcess::run(bandwidth_scenario(up.address(), "rate = \"400KB/s\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "bw"));

    Socket a = connect_or_throw(addr);
    Socket b = connect_or_throw(addr);
    auto t0 = Clock::now();
    IoResult ra, rb;
    std::thread ta([&] { ra = read_for(a.fd(), 2600ms, false); });
    std::thread tb([&] { rb = read_for(b.fd(), 2600ms, false); });
    ta.join();
    tb.join();
    // Steady state: from 0.5 s to 2.5 s.
    double rate_a = static_cast<double>(bytes_between(ra, t0 + 500ms, t0 + 2500ms)) / 2.0;
    double rate_b = static_cast<double>(bytes_between(rb, t0 + 500ms, t0 + 2500ms)) / 2.0;
    MEASURED("scope connection, 400000 B/s each: measured " << rate_a << " and " << rate_b
                                                            << " B/s");
    for (double rate : {rate_a, rate_b}) {
      CHECK(rate >= 400000 * 0.95);
      CHECK(rate <= 400000 * 1.05);
    }
  }

  TEST_CASE("bandwidth: rate 0 holds the data until the window ends") {
    SourceServer up(20000, 23);
    auto jinx = JinxProcess::run(bandwidth_scenario(up.address(), "rate = 0\nduration = \"1s\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    Event on = jinx->wait_at(ev("toxic_on").with("toxic", "bw"));
    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 5000ms);
    CHECK(r.eof);
    CHECK(r.bytes == 20000);
    CHECK(r.data == stream_bytes(23, 20000));
    REQUIRE_FALSE(r.arrivals.empty());
    double first = ms_between(on.arrived, r.arrivals.front().at);
    MEASURED("first byte " << first << " ms after toxic_on (window 1000 ms)");
    CHECK(first >= 1000 - 50);
    jinx->wait_event(ev("toxic_off").with("toxic", "bw"));
  }

  TEST_CASE("bandwidth: 1KB/s with a fast sender keeps memory bounded by the buffer") {
    SinkServer up;
    auto jinx = JinxProcess::run(bandwidth_scenario(
        up.address(), "rate = \"1KB/s\"\nstream = \"upstream\"", "buffer = \"1MiB\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "bw"));
    Socket c = connect_or_throw(addr);
    jinx->wait_event(ev("conn_upstream").with("conn", 1));
    long rss_before = rss_kib(jinx->pid());

    uint64_t sent = 0;
    auto give_up = Clock::now() + 20000ms;
    while (sent < 256 * MiB && Clock::now() < give_up) {
      IoResult r = send_stream(c.fd(), 3, 1 * MiB, 1000ms, sent);
      sent += r.bytes;
      if (!r.ok()) break;
    }
    long rss_after = rss_kib(jinx->pid());
    MEASURED("sent " << sent / MiB << " MiB before blocking; jinx RSS " << rss_before / 1024
                     << " -> " << rss_after / 1024 << " MiB");
    CHECK(sent < 160 * MiB);
    CHECK(rss_after - rss_before < 40 * 1024);
    CHECK(up.log().get(1).bytes < 64 * KiB);  // the toxic really limits
  }

}  // TEST_SUITE
