// What jinx prints: JSON events, the text format, --quiet, `jinx check`, and
// scenarios read from standard input (SPEC 1, 7).
#include <csignal>
#include <ctime>
#include <regex>

#include "e2e.h"

using namespace jinx_test;

namespace {

// Seconds since the epoch of "2026-11-28T22:36:16.123Z", or -1.
double parse_ts(const std::string& ts) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$)");
  std::smatch m;
  if (!std::regex_match(ts, m, re)) return -1;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  return static_cast<double>(timegm(&tm)) + std::stoi(m[7]) / 1000.0;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// A scenario `jinx check` summarises as 2 proxies, 5 toxics, 12 windows, 3m0s.
const char* kFiveToxics = R"(
name = "summary"
duration = "3m"

[[proxy]]
name = "a"
listen = "127.0.0.1:17001"
upstream = "127.0.0.1:1"

[[proxy]]
name = "b"
listen = "127.0.0.1:17002"
upstream = "127.0.0.1:2"

[[toxic]]
proxy = "a"
type = "latency"
latency = "100ms"
duration = "10s"
every = "30s"
repeat = 4

[[toxic]]
proxy = "b"
type = "down"
start = "1m"
duration = "5s"

[[toxic]]
proxy = "a"
type = "bandwidth"
rate = "100KB/s"
start = "10s"
duration = "20s"
every = "1m"
repeat = 3

[[toxic]]
proxy = "b"
type = "slow_close"
delay = "1s"
duration = "1s"
every = "1m"
repeat = 2

[[toxic]]
proxy = "a"
type = "stall"
start = "30s"
duration = "10s"
every = "1m"
repeat = 2
)";

}  // namespace

TEST_SUITE("output") {
  TEST_CASE("output: every stdout line is a JSON event with ts, t and event") {
    EchoServer up;
    auto jinx = JinxProcess::run("seed = 77\n" + proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "lag"
proxy = "p"
type = "latency"
latency = "10ms"
duration = "0.2s"
)");
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("p"));
    echo_rtt_ms(c.fd());
    c.close();
    jinx->wait_event(ev("conn_close").with("conn", 1));
    jinx->wait_event(ev("toxic_off").with("toxic", "lag"), 3000ms);
    jinx->send_signal(SIGINT);
    CHECK(jinx->wait_exit(3000ms).code == 130);

    auto lines = jinx->lines();
    REQUIRE(lines.size() >= 8);
    double now = static_cast<double>(std::time(nullptr));
    double last_t = -1e9;
    for (const Event& e : lines) {
      CAPTURE(e.raw);
      REQUIRE(e.body.is_object());
      REQUIRE(has_string(e.body, "ts"));
      REQUIRE(has_string(e.body, "event"));
      REQUIRE(e.body.contains("t"));
      CHECK(e.body["t"].is_number());
      double ts = parse_ts(e.body["ts"]);
      CHECK_MESSAGE(ts > 0, "ts is not RFC 3339 UTC with milliseconds");
      CHECK(std::abs(ts - now) < 30);
      CHECK(t_of(e.body) >= last_t);  // events come in time order
      last_t = t_of(e.body);
    }
    CHECK(lines.front().body["event"] == "session_start");
    CHECK(lines.back().body["event"] == "session_end");
    json start = lines.front().body;
    CHECK(start["seed"] == 77);
    CHECK(start.contains("name"));
    CHECK(start["duration"].is_null());
    CHECK(has_string(start, "version"));
    json listen = jinx->wait_event(ev("proxy_listen"));
    CHECK(listen["upstream"] == up.address());
  }

  TEST_CASE("output: --format text prints lines for people") {
    EchoServer up;
    uint16_t port = closed_port();
    std::string addr = address(port);
    auto jinx = JinxProcess::run(R"(
duration = "0.8s"
[[proxy]]
name = "textproxy"
listen = ")" + addr + R"("
upstream = ")" + up.address() + "\"\n",
                                 {"--format", "text"});
    INFO(jinx->describe());
    ConnectResult r = connect_until(addr, 2000ms, [](int e) { return e == 0; });
    REQUIRE(r.error == 0);
    echo_rtt_ms(r.sock.fd());
    r.sock.close();
    ExitStatus st = jinx->wait_exit(5000ms);
    CHECK(st.code == 0);

    auto lines = jinx->lines();
    CHECK(lines.size() >= 3);
    bool names_proxy = false, names_address = false;
    for (const Event& e : lines) {
      CAPTURE(e.raw);
      CHECK_FALSE(e.body.is_object());
      names_proxy |= contains(e.raw, "textproxy");
      names_address |= contains(e.raw, addr);
    }
    CHECK(names_proxy);
    CHECK(names_address);
  }

  TEST_CASE("output: --quiet drops the conn_* events only") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()), {"--quiet"});
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("p"));
    echo_rtt_ms(c.fd());
    c.close();
    // No conn_close to wait for: ask the upstream when the connection ended.
    REQUIRE(up.log().wait_done(1, 3000ms));
    jinx->send_signal(SIGINT);
    CHECK(jinx->wait_exit(3000ms).code == 130);
    for (const Event& e : jinx->lines()) {
      CAPTURE(e.raw);
      CHECK(e.body.value("event", "").rfind("conn_", 0) == std::string::npos);
    }
    CHECK(jinx->find(ev("session_start")).size() == 1);
    CHECK(jinx->find(ev("session_end")).size() == 1);
  }

  TEST_CASE("output: jinx check prints FILE: ok: with the scenario's counts") {
    TempDir dir;
    std::string path = dir.write("five.toml", kFiveToxics);
    Completed c = run_jinx({"check", path});
    INFO(c.report);
    CHECK(c.status.code == 0);
    REQUIRE(c.out.size() == 1);
    CHECK(c.out[0] == path + ": ok: 2 proxies, 5 toxics, 12 windows, 3m0s");
  }

  TEST_CASE("output: jinx check warns about a window after the end") {
    TempDir dir;
    std::string path = dir.write("late.toml", R"(
duration = "10s"
[[proxy]]
name = "p"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:1"
[[toxic]]
proxy = "p"
type = "latency"
latency = "1ms"
start = "20s"
)");
    Completed c = run_jinx({"check", path});
    INFO(c.report);
    CHECK(c.status.code == 0);
    REQUIRE(c.out.size() == 1);
    CHECK(c.out[0].rfind(path + ": ok: ", 0) == 0);
    CHECK(contains(c.err, "warning"));
  }

  TEST_CASE("output: jinx check reports each file, and 2 if any is bad") {
    TempDir dir;
    std::string good = dir.write("good.toml", kFiveToxics);
    std::string bad = dir.write("bad.toml", "[[proxy]]\nname = \"p\"\nlisten = 5\n");
    Completed c = run_jinx({"check", good, bad});
    INFO(c.report);
    CHECK(c.status.code == 2);
    CHECK(contains(joined(c.out), good + ": ok: "));
    CHECK(contains(c.err, bad + ":"));
    CHECK(contains(c.err, ": error: "));
  }

  TEST_CASE("output: jinx check - reads the scenario from stdin") {
    JinxOptions opts;
    opts.stdin_text =
        "[[proxy]]\nname = \"p\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n";
    Completed c = run_jinx({"check", "-"}, opts);
    INFO(c.report);
    CHECK(c.status.code == 0);
    REQUIRE(c.out.size() == 1);
    CHECK(contains(c.out[0], ": ok: 1 prox"));
  }

  TEST_CASE("output: jinx run - reads the scenario from stdin") {
    EchoServer up;
    auto jinx = JinxProcess::run_stdin("duration = \"0.5s\"\n" + proxy_toml("piped", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("piped"));
    CHECK(echo_rtt_ms(c.fd()) < 100);
    ExitStatus st = jinx->wait_exit(5000ms);
    CHECK(st.code == 0);
  }

}  // TEST_SUITE
