// The timeline (SPEC 4): windows open and close on schedule, numbered from 0.
#include "e2e.h"

using namespace jinx_test;

namespace {

// jinx's own clock (t) may be off by a few ms under load; the harness's
// reading of the lines, by scheduling delays on both sides.
constexpr double kTTolerance = 0.030;    // s, on the reported t
constexpr double kSeenTolerance = 60.0;  // ms, on the harness's arrival times

}  // namespace

TEST_SUITE("timeline") {
  TEST_CASE("timeline: every/repeat windows open and close on schedule") {
    EchoServer up;
    auto jinx = JinxProcess::run(R"(
name = "blinking"
duration = "2s"
seed = 5
)" + proxy_toml("p", up.address()) +
                                 R"(
[[toxic]]
name = "blink"
proxy = "p"
type = "latency"
latency = "10ms"
start = "0.3s"
duration = "0.2s"
every = "0.5s"
repeat = 3
)");
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(6000ms);
    CHECK(st.exited);
    CHECK(st.code == 0);

    auto ons = jinx->find(ev("toxic_on"));
    auto offs = jinx->find(ev("toxic_off"));
    REQUIRE(ons.size() == 3);
    REQUIRE(offs.size() == 3);
    double worst = 0;
    for (int k = 0; k < 3; ++k)
      worst = std::max({worst, std::abs(t_of(ons[k].body) - (0.3 + 0.5 * k)),
                        std::abs(t_of(offs[k].body) - (0.5 + 0.5 * k))});
    MEASURED("toxic_on/toxic_off t at most " << worst * 1000 << " ms off schedule");
    for (int k = 0; k < 3; ++k) {
      CAPTURE(k);
      json on = ons[k].body;
      json off = offs[k].body;
      CHECK(on["toxic"] == "blink");
      CHECK(on["proxy"] == "p");
      CHECK(on["type"] == "latency");
      CHECK(on["stream"] == "downstream");
      CHECK(on["attributes"].is_object());
      CHECK(on["window"] == k);
      CHECK(off["toxic"] == "blink");
      CHECK(off["proxy"] == "p");
      CHECK(off["window"] == k);
      CHECK(std::abs(t_of(on) - (0.3 + 0.5 * k)) <= kTTolerance);
      CHECK(std::abs(t_of(off) - (0.5 + 0.5 * k)) <= kTTolerance);
      // Independently of jinx's clock: when the harness read the lines.
      CHECK(std::abs(ms_between(ons[0].arrived, ons[k].arrived) - 500.0 * k) <= kSeenTolerance);
      CHECK(std::abs(ms_between(ons[k].arrived, offs[k].arrived) - 200.0) <= kSeenTolerance);
    }
    json end = jinx->wait_event(ev("session_end"));
    CHECK(std::abs(t_of(end) - 2.0) <= 0.1);
  }

  TEST_CASE("timeline: a window that would start after the duration is dropped") {
    EchoServer up;
    auto jinx = JinxProcess::run("duration = \"0.6s\"\n" + proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "late"
proxy = "p"
type = "latency"
latency = "10ms"
start = "5s"
)");
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(4000ms);
    CHECK(st.exited);
    CHECK(st.code == 0);
    CHECK(jinx->find(ev("toxic_on")).empty());
  }

  TEST_CASE("timeline: several toxics keep their own schedules") {
    EchoServer up;
    auto jinx = JinxProcess::run("duration = \"1.2s\"\n" + proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "a"
proxy = "p"
type = "latency"
latency = "5ms"
start = "0.2s"
duration = "0.6s"

[[toxic]]
name = "b"
proxy = "p"
type = "latency"
latency = "5ms"
stream = "upstream"
start = "0.4s"
duration = "0.2s"
every = "0.3s"
)");
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(5000ms);
    CHECK(st.code == 0);
    auto a_on = jinx->find(ev("toxic_on").with("toxic", "a"));
    auto b_on = jinx->find(ev("toxic_on").with("toxic", "b"));
    REQUIRE(a_on.size() == 1);
    REQUIRE(b_on.size() == 3);  // 0.4, 0.7, 1.0 (1.3 is after the end)
    CHECK(std::abs(t_of(a_on[0].body) - 0.2) <= kTTolerance);
    CHECK(b_on[0].body["stream"] == "upstream");
    for (int k = 0; k < 3; ++k) {
      CAPTURE(k);
      CHECK(b_on[k].body["window"] == k);
      CHECK(std::abs(t_of(b_on[k].body) - (0.4 + 0.3 * k)) <= kTTolerance);
    }
    auto a_off = jinx->find(ev("toxic_off").with("toxic", "a"));
    REQUIRE(a_off.size() == 1);
    CHECK(std::abs(t_of(a_off[0].body) - 0.8) <= kTTolerance);
  }

}  // TEST_SUITE
