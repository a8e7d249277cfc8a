// Stages true to the microsecond (issue 11): held data waits for a timerfd,
// not for libuv's whole-millisecond timers. Each test runs two proxies in
// one jinx, one plain and one with the toxic, and compares them in the same
// moment, so the machine's load is on both sides of the comparison; figures
// are medians of interleaved samples.
#include <sys/socket.h>

#include "e2e.h"
#include "epoll_server.h"

using namespace jinx_test;

namespace {

// Proxy "plain" and proxy "t" in front of the same upstream, the toxic on "t".
std::string pair_scenario(const std::string& upstream, const std::string& type,
                          const std::string& keys) {
  return proxy_toml("plain", upstream) + proxy_toml("t", upstream) + "[[toxic]]\nname = \"x\"\n" +
         "proxy = \"t\"\ntype = \"" + type + "\"\n" + keys + "\n";
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct RoundTrips {
  std::vector<double> plain, toxic;  // ms
};

// `n` round trips on each proxy, alternating, after a few unmeasured ones.
RoundTrips interleaved_round_trips(JinxProcess& jinx, int n) {
  Socket a = connect_or_throw(jinx.listen_address("plain"));
  Socket b = connect_or_throw(jinx.listen_address("t"));
  for (int i = 0; i < 5; ++i) {
    echo_rtt_ms(a.fd());
    echo_rtt_ms(b.fd());
  }
  RoundTrips r;
  for (int i = 0; i < n; ++i) {
    r.plain.push_back(echo_rtt_ms(a.fd()));
    r.toxic.push_back(echo_rtt_ms(b.fd()));
  }
  return r;
}

}  // namespace

TEST_SUITE("micro timing") {
  TEST_CASE("latency: from 100us up, never under the delay and at most 200us over it") {
    // Before issue 11: 300us gave round trips from 196us (under the
    // setting) to 2.86 ms, median 1.34 ms.
    for (const char* setting : {"100us", "300us", "1500us"}) {
      CAPTURE(setting);
      EchoServer up;
      auto jinx = JinxProcess::run(
          pair_scenario(up.address(), "latency", std::string("latency = \"") + setting + "\""));
      INFO(jinx->describe());
      jinx->wait_event(ev("toxic_on").with("toxic", "x"));
      double delay = std::string(setting) == "100us" ? 0.1 : setting[0] == '3' ? 0.3 : 1.5;
      // Never early, in every sample; at most 200us over in the median of
      // one of five series (a preempted series is measured again: a
      // millisecond clock would fail all five).
      double best_over = 1e9;
      for (int series = 0; series < 5 && best_over > 0.200; ++series) {
        RoundTrips r = interleaved_round_trips(*jinx, 60);
        double lo = *std::min_element(r.toxic.begin(), r.toxic.end());
        double over = median_of(r.toxic) - median_of(r.plain) - delay;
        MEASURED(setting << ": shortest round trip " << lo * 1000 << " us, median "
                         << median_of(r.toxic) * 1000 << " us against " << median_of(r.plain) * 1000
                         << " us without the toxic: " << over * 1000 << " us over the delay");
        CHECK(lo >= delay);
        best_over = std::min(best_over, over);
      }
      CHECK(best_over <= 0.200);
    }
  }

  TEST_CASE("bandwidth far above what passes adds at most 50us to a round trip") {
    // Before issue 11: rate = "100GB/s" added 1.16 ms to every round trip.
    EchoServer up;
    auto jinx = JinxProcess::run(
        pair_scenario(up.address(), "bandwidth", "rate = \"100GB/s\"\nstream = \"both\""));
    INFO(jinx->describe());
    jinx->wait_event(ev("toxic_on").with("toxic", "x"));
    // The best median of up to five series, as above.
    double best_added = 1e9;
    for (int series = 0; series < 5 && best_added > 0.050; ++series) {
      RoundTrips r = interleaved_round_trips(*jinx, 200);
      double added = median_of(r.toxic) - median_of(r.plain);
      MEASURED("median round trip " << median_of(r.toxic) * 1000 << " us with the toxic, "
                                    << median_of(r.plain) * 1000 << " us without: " << added * 1000
                                    << " us added");
      best_added = std::min(best_added, added);
    }
    CHECK(best_added <= 0.050);
  }

  // Throughput with a bandwidth far above what passes (>= 0.8x of
  // passthrough) is a speed figure: `make bench` measures it, beside socat and
  // haproxy, where a loaded machine cannot make a test fail by chance.

  TEST_CASE("bandwidth: 100MB/s is delivered within 3 %") {
    // Before issue 11 a slot due in a few microseconds waited 1-2 ms.
    EpollServer up(ServeMode::source);
    auto jinx = JinxProcess::run(pair_scenario(up.address(), "bandwidth", "rate = \"100MB/s\""));
    INFO(jinx->describe());
    jinx->wait_event(ev("toxic_on").with("toxic", "x"));
    Socket c = connect_or_throw(jinx->listen_address("t"));
    read_for(c.fd(), 300ms, false);  // past the first burst of socket buffers
    // Seven windows of 300 ms; their median, so that the few windows in
    // which the loaded machine stalled the client or jinx do not decide.
    std::vector<double> rates;
    for (int i = 0; i < 7; ++i) rates.push_back(fitted_rate(read_for(c.fd(), 300ms, false)));
    double rate = median_of(rates);
    std::sort(rates.begin(), rates.end());
    MEASURED("configured 100 MB/s, measured " << rate / 1e6 << " MB/s (median of seven windows, "
                                              << rates.front() / 1e6 << " to " << rates.back() / 1e6
                                              << ")");
    CHECK(rate >= 100e6 * 0.97);
    CHECK(rate <= 100e6 * 1.03);
  }

  TEST_CASE("held-data toxics on idle connections leave jinx at 0 % CPU") {
    // The timerfd is set only while a stage holds data: no busy polling.
    EchoServer up;
    auto jinx = JinxProcess::run(
        proxy_toml("t", up.address()) +
        "[[toxic]]\nname = \"x\"\nproxy = \"t\"\ntype = \"latency\"\nlatency = \"300us\"\n"
        "stream = \"both\"\n[[toxic]]\nname = \"y\"\nproxy = \"t\"\ntype = \"bandwidth\"\n"
        "rate = \"100GB/s\"\nstream = \"both\"\n");
    INFO(jinx->describe());
    jinx->wait_count(ev("toxic_on"), 2, 5000ms);
    std::vector<Socket> clients;
    for (int i = 0; i < 20; ++i) {
      clients.push_back(connect_or_throw(jinx->listen_address("t")));
      echo_rtt_ms(clients.back().fd());
    }
    double cpu0 = cpu_seconds(jinx->pid());
    auto t0 = Clock::now();
    std::this_thread::sleep_for(1000ms);
    double share = (cpu_seconds(jinx->pid()) - cpu0) / (ms_since(t0) / 1000);
    MEASURED("jinx CPU with 20 idle connections through latency and bandwidth: "
             << share * 100 << " % of one core");
    CHECK(share < 0.02);
  }
}
