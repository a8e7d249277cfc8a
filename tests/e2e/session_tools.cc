// Session tools (issue 4): -- COMMAND, --start-at, --seed/--duration,
// plan, ramps, the status line, `jinx toxics`.
#include <csignal>
#include <ctime>
#include <map>

#include "e2e.h"

using namespace jinx_test;

namespace {

constexpr double kTTolerance = 0.030;

std::string all_text(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST_SUITE("session") {
  TEST_CASE(
      "command: jinx exits with the command's status; it sees JINX_<PROXY> and talks through it") {
    EchoServer up;
    auto dir = std::make_shared<TempDir>();
    std::string env_file = dir->file("env"), reply_file = dir->file("reply");
    // bash's /dev/tcp: the command talks to the proxy named in its environment.
    JinxOptions opts;
    opts.dir = dir;
    auto jinx = JinxProcess::run(
        proxy_toml("my-db.1", up.address()), {},
        {"/bin/bash", "-c",
         "printf %s \"$JINX_MY_DB_1\" > \"$1\"; "
         "exec 3<>\"/dev/tcp/${JINX_MY_DB_1%:*}/${JINX_MY_DB_1##*:}\" || exit 99; "
         "printf 'hello\\n' >&3; read -r line <&3; printf %s \"$line\" > \"$2\"; exit 7",
         "cmd", env_file, reply_file},
        opts);
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(10000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 7);

    std::string listen = jinx->listen_address("my-db.1");
    CHECK(dir->read("env") == listen);
    CHECK(dir->read("reply") == "hello");
    json start = jinx->wait_event(ev("command_start"));
    CHECK(start["pid"].is_number());
    CHECK(start["argv"].is_array());
    CHECK(start["argv"][0] == "/bin/bash");
    json exit = jinx->wait_event(ev("command_exit"));
    CHECK(exit["status"] == 7);
    CHECK(exit["signal"].is_null());
    json end = jinx->wait_event(ev("session_end"));
    CHECK(end["reason"] == "command");
    CHECK(end["exit_code"] == 7);
  }

  TEST_CASE("command: a command killed by a signal gives 128+N") {
    EchoServer up;
    auto jinx =
        JinxProcess::run(proxy_toml("p", up.address()), {}, {"/bin/sh", "-c", "kill -TERM $$"});
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(10000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 143);
    json exit = jinx->wait_event(ev("command_exit"));
    CHECK(exit["status"].is_null());
    CHECK(contains(exit.value("signal", ""), "TERM"));
  }

  TEST_CASE("command: when the session ends first the command gets SIGTERM") {
    EchoServer up;
    auto t0 = Clock::now();
    auto jinx = JinxProcess::run("duration = \"0.5s\"\n" + proxy_toml("p", up.address()), {},
                                 {"/bin/sleep", "30"});
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(8000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(ms_since(t0) < 4000);
    MEASURED("jinx exited with " << st.code << " after the duration ended the wrapped sleep");
    json exit = jinx->wait_event(ev("command_exit"));
    CHECK(contains(exit.value("signal", ""), "TERM"));
  }

  TEST_CASE("start-at: +2s binds now and starts the timeline 2 s later; t is negative before") {
    EchoServer up;
    auto jinx = JinxProcess::run("duration = \"0.5s\"\n" + proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "lag"
proxy = "p"
type = "latency"
latency = "50ms"
)",
                                 {"--start-at", "+2s"});
    INFO(jinx->describe());
    Event listen = jinx->wait_at(ev("proxy_listen").with("proxy", "p"));
    CHECK(t_of(listen.body) <= -1.8);
    CHECK(t_of(listen.body) >= -2.2);
    // The listener serves before t = 0, without the toxic.
    Socket c = connect_or_throw(listen.body["listen"].get<std::string>());
    CHECK(echo_rtt_ms(c.fd()) < 40);
    REQUIRE(jinx->find(ev("toxic_on")).empty());

    Event on = jinx->wait_at(ev("toxic_on").with("toxic", "lag"), 4000ms);
    CHECK(std::abs(t_of(on.body)) <= kTTolerance);
    CHECK(std::abs(ms_between(listen.arrived, on.arrived) - 2000) <= 150);
    CHECK(echo_rtt_ms(c.fd()) >= 48);
    ExitStatus st = jinx->wait_exit(3000ms);
    CHECK(st.code == 0);
  }

  TEST_CASE("start-at: an RFC 3339 time") {
    EchoServer up;
    std::time_t at = std::time(nullptr) + 2;
    char buf[32];
    std::tm tm{};
    gmtime_r(&at, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    auto jinx = JinxProcess::run("duration = \"0.2s\"\n" + proxy_toml("p", up.address()),
                                 {"--start-at", buf});
    INFO(jinx->describe());
    json listen = jinx->wait_event(ev("proxy_listen"));
    CHECK(t_of(listen) < -0.8);
    CHECK(t_of(listen) > -2.2);
    ExitStatus st = jinx->wait_exit(5000ms);
    CHECK(st.code == 0);
  }

  TEST_CASE("overrides: --seed and --duration replace the scenario's values") {
    EchoServer up;
    auto t0 = Clock::now();
    auto jinx = JinxProcess::run("seed = 1\nduration = \"30s\"\n" + proxy_toml("p", up.address()),
                                 {"--seed", "12345678901234567890", "--duration", "0.6s"});
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(5000ms);
    CHECK(st.code == 0);
    CHECK(ms_since(t0) < 3000);
    json start = jinx->wait_event(ev("session_start"));
    CHECK(start["seed"] == 12345678901234567890ULL);
    CHECK(start["duration"] == 0.6);
    CHECK(jinx->wait_event(ev("session_end"))["reason"] == "duration");
  }

  TEST_CASE("overrides: --duration inf runs until stopped") {
    EchoServer up;
    auto jinx = JinxProcess::run("duration = \"0.3s\"\n" + proxy_toml("p", up.address()),
                                 {"--duration", "inf"});
    INFO(jinx->describe());
    jinx->listen_address("p");
    CHECK(jinx->wait_exit(1000ms).timed_out);
    CHECK(jinx->wait_event(ev("session_start"))["duration"].is_null());
    jinx->send_signal(SIGINT);
    CHECK(jinx->wait_exit(3000ms).code == 130);
  }

  TEST_CASE("plan: --format json windows equal the toxic_on/off of run with the same seed") {
    EchoServer up;
    std::string scenario = "seed = 1\nduration = \"2s\"\n" + proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "ranged"
proxy = "p"
type = "latency"
latency = "5ms"
start = "0.1s..0.4s"
duration = "0.1s..0.2s"
every = "0.6s"
repeat = 3

[[toxic]]
name = "fixed"
proxy = "p"
type = "stall"
start = "0.2s"
duration = "0.3s"
)";
    TempDir dir;
    std::string path = dir.write("plan.toml", scenario);
    Completed plan = run_jinx({"plan", "--seed", "42", "--format", "json", path});
    INFO(plan.report);
    REQUIRE(plan.status.code == 0);
    std::vector<json> windows;
    for (const std::string& l : plan.out) {
      CAPTURE(l);
      json w = json::parse(l, nullptr, false);
      REQUIRE_FALSE(w.is_discarded());
      windows.push_back(w);
    }
    REQUIRE(windows.size() == 4);
    Completed again = run_jinx({"plan", "--seed", "42", "--format", "json", path});
    CHECK(again.out == plan.out);

    auto jinx = JinxProcess::run(scenario, {"--seed", "42"});
    INFO(jinx->describe());
    CHECK(jinx->wait_exit(6000ms).code == 0);
    for (json w : windows) {
      CAPTURE(w.dump());
      CHECK(w["proxy"] == "p");
      json on =
          jinx->wait_event(ev("toxic_on").with("toxic", w["toxic"]).with("window", w["window"]));
      json off =
          jinx->wait_event(ev("toxic_off").with("toxic", w["toxic"]).with("window", w["window"]));
      CHECK(on["type"] == w["type"]);
      CHECK(std::abs(t_of(on) - w["start"].get<double>()) <= kTTolerance);
      CHECK(std::abs(t_of(off) - w["end"].get<double>()) <= kTTolerance);
    }
    CHECK(jinx->find(ev("toxic_on")).size() == windows.size());
  }

  TEST_CASE("plan: the text chart names each toxic and fits --width") {
    TempDir dir;
    std::string path = dir.write("chart.toml", R"(
duration = "1m"
[[proxy]]
name = "p"
listen = "127.0.0.1:17010"
upstream = "127.0.0.1:1"
[[toxic]]
name = "slowdown"
proxy = "p"
type = "latency"
latency = { from = "0ms", to = "500ms" }
start = "10s"
duration = "20s"
[[toxic]]
name = "outage"
proxy = "p"
type = "down"
start = "40s"
duration = "5s"
)");
    Completed c = run_jinx({"plan", "--width", "60", path});
    INFO(c.report);
    CHECK(c.status.code == 0);
    CHECK(contains(all_text(c.out), "slowdown"));
    CHECK(contains(all_text(c.out), "outage"));
    for (const std::string& l : c.out) {
      CAPTURE(l);
      CHECK(utf8_length(l) <= 60);
    }
  }

  TEST_CASE("ramp: toxic_update values rise and the measured latency follows") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()) + R"(
[[toxic]]
name = "ramp"
proxy = "p"
type = "latency"
latency = { from = "0ms", to = "400ms" }
ramp_step = "200ms"
duration = "2s"
)");
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "ramp"));
    Socket c = connect_or_throw(addr);
    double early = echo_rtt_ms(c.fd());
    CHECK(early <= 120);

    json late = jinx->wait_event(
        [](const json& e) {
          return e.value("event", "") == "toxic_update" && e.value("toxic", "") == "ramp" &&
                 e.value("attributes", json::object()).value("latency", 0.0) >= 200;
        },
        3000ms, "toxic_update with latency >= 200");
    // At 200 ms or more, 1 s before the window ends: the ping is held for the
    // current value (later steps may only add to it).
    double at_late = late["attributes"]["latency"].get<double>();
    double rtt = echo_rtt_ms(c.fd());
    MEASURED("round trip " << early << " ms early in the ramp, " << rtt << " ms at latency "
                           << at_late);
    CHECK(rtt >= at_late - 2);
    CHECK(rtt <= 400 + 100);

    jinx->wait_event(ev("toxic_off").with("toxic", "ramp"), 3000ms);
    auto updates = jinx->find(ev("toxic_update").with("toxic", "ramp"));
    CHECK(updates.size() >= 3);
    double last = -1;
    for (Event u : updates) {
      double v = u.body["attributes"]["latency"].get<double>();
      CHECK(v >= last);
      CHECK(v <= 400);
      last = v;
    }
  }

  TEST_CASE("status: the status line appears on a terminal, never in a pipe") {
    EchoServer up;
    std::string scenario = "duration = \"1.2s\"\n" + proxy_toml("p", up.address());
    // The three sessions run side by side: each lasts 1.2 s.
    JinxOptions tty;
    tty.stderr_pty = true;
    auto on_tty = JinxProcess::run(scenario, {}, {}, tty);
    auto in_pipe = JinxProcess::run(scenario);
    JinxOptions quiet_tty;
    quiet_tty.stderr_pty = true;
    auto no_progress = JinxProcess::run(scenario, {"--no-progress"}, {}, quiet_tty);

    INFO(on_tty->describe());
    CHECK(on_tty->wait_exit(5000ms).code == 0);
    CHECK_FALSE(on_tty->stderr_text().empty());
    for (const Event& e : on_tty->lines()) CHECK(e.body.is_object());

    INFO(in_pipe->describe());
    CHECK(in_pipe->wait_exit(5000ms).code == 0);
    CHECK_FALSE(contains(in_pipe->stderr_text(), "\r"));
    CHECK_FALSE(contains(in_pipe->stderr_text(), "\x1b"));

    INFO(no_progress->describe());
    CHECK(no_progress->wait_exit(5000ms).code == 0);
    CHECK(no_progress->stderr_text().empty());
  }

  TEST_CASE("toxics: lists every type, as text and as JSON") {
    const char* types[] = {"latency",    "bandwidth", "slow_close", "timeout",
                           "reset_peer", "slicer",    "limit_data", "down",
                           "stall",      "slow_open", "corrupt"};
    Completed text = run_jinx({"toxics"});
    INFO(text.report);
    CHECK(text.status.code == 0);
    Completed js = run_jinx({"toxics", "--format", "json"});
    INFO(js.report);
    CHECK(js.status.code == 0);
    std::string all = all_text(js.out);
    json doc = json::parse(all, nullptr, false);
    if (doc.is_discarded())  // JSON lines rather than one document
      for (const std::string& l : js.out)
        CHECK_FALSE(json::parse(l, nullptr, false).is_discarded());
    for (const char* t : types) {
      CAPTURE(t);
      CHECK(contains(all_text(text.out), t));
      CHECK(contains(all, std::string("\"") + t + "\""));
    }
  }

}  // TEST_SUITE
