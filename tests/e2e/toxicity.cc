// Toxicity (SPEC 6, issue 3): the affected fraction over many connections,
// and the same seed affecting the same connection numbers, whatever the timing.
#include <atomic>
#include <set>

#include "e2e.h"

using namespace jinx_test;

namespace {

constexpr int kConns = 1000;

// Runs a session with `toxicity = 0.3` and seed `seed`, opens kConns
// connections from `clients` threads (one byte echoed on each), and returns
// the connection numbers whose conn_close lists the toxic.
std::set<int> affected_connections(uint64_t seed, int clients) {
  EchoServer up;
  auto jinx = JinxProcess::run(proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "sometimes"
proxy = "p"
type = "latency"
latency = "1ms"
toxicity = 0.3
)",
                               {"--seed", std::to_string(seed)});
  INFO(jinx->describe());
  std::string addr = jinx->listen_address("p");
  jinx->wait_event(ev("toxic_on").with("toxic", "sometimes"));

  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&] {
      while (next.fetch_add(1) < kConns) {
        ConnectResult r = connect_tcp(addr, 3000ms);
        if (r.error || !send_all(r.sock.fd(), "x").ok() ||
            read_exactly(r.sock.fd(), 1, 3000ms).bytes != 1)
          ++failures;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);

  auto closes = jinx->wait_count(ev("conn_close"), kConns, 30000ms);
  std::set<int> hit;
  for (const Event& e : closes)
    if (lists_toxic(e.body, "sometimes")) hit.insert(e.body.value("conn", -1));
  return hit;
}

}  // namespace

TEST_SUITE("toxics") {
  TEST_CASE(
      "toxicity: over 1000 connections the affected fraction is within binomial bounds, "
      "and the same seed affects the same connection numbers") {
    std::set<int> first = affected_connections(/*seed=*/1234, /*clients=*/1);
    // Binomial(1000, 0.3): mean 300, sd 14.5; allow 5 sd.
    MEASURED("toxicity 0.3: " << first.size() << " of " << kConns << " connections affected");
    CHECK(first.size() >= 228);
    CHECK(first.size() <= 372);

    std::set<int> again = affected_connections(/*seed=*/1234, /*clients=*/8);
    CHECK_MESSAGE(again == first, "same seed, different timing: " << again.size() << " vs "
                                                                  << first.size() << " affected");
  }

}  // TEST_SUITE
