// How a session ends, and the exit code it leaves (SPEC 8).
#include <unistd.h>

#include <csignal>
#include <thread>

#include "e2e.h"

using namespace jinx_test;

namespace {

// A running session that gets `sig` ends cleanly with `code`, and says so.
void signal_ends_session(int sig, int code) {
  EchoServer up;
  auto jinx = JinxProcess::run(proxy_toml("p", up.address()));
  INFO(jinx->describe());
  jinx->listen_address("p");
  jinx->send_signal(sig);
  ExitStatus st = jinx->wait_exit(3000ms);
  REQUIRE_MESSAGE(st.exited, st.str());
  CHECK(st.code == code);
  json end = jinx->wait_event(ev("session_end"));
  CHECK(end["reason"] == "signal");
  CHECK(end["exit_code"] == code);
}

}  // namespace

TEST_SUITE("exit") {
  TEST_CASE("exit: the scenario's duration ends the session with 0") {
    EchoServer up;
    auto t0 = Clock::now();
    auto jinx =
        JinxProcess::run("name = \"short\"\nduration = \"0.5s\"\n" + proxy_toml("p", up.address()));
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(5000ms);
    double took = ms_since(t0);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 0);
    CHECK(took >= 450);
    CHECK(took <= 2500);

    json start = jinx->wait_event(ev("session_start"));
    CHECK(start["name"] == "short");
    CHECK(start["duration"] == 0.5);
    json end = jinx->wait_event(ev("session_end"));
    CHECK(end["reason"] == "duration");
    CHECK(end["exit_code"] == 0);
    CHECK(end["connections"] == 0);
    CHECK(end["bytes_up"] == 0);
    CHECK(end["bytes_down"] == 0);
    CHECK(std::abs(end["elapsed"].get<double>() - 0.5) <= 0.1);
  }

  TEST_CASE("exit: SIGINT shuts down cleanly with 130") {
    signal_ends_session(SIGINT, 130);
  }

  TEST_CASE("exit: SIGTERM shuts down cleanly with 143") {
    signal_ends_session(SIGTERM, 143);
  }

  TEST_CASE("exit: at shutdown open connections get a FIN and jinx exits within 2 s") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("p"));
    CHECK(echo_rtt_ms(c.fd()) < 100);
    auto t0 = Clock::now();
    jinx->send_signal(SIGTERM);
    IoResult r = read_until_eof(c.fd(), 3000ms);
    CHECK_MESSAGE(r.eof, "client saw " << r.str());
    ExitStatus st = jinx->wait_exit(3000ms);
    CHECK(ms_since(t0) <= 2000 + 200);
    CHECK(st.code == 143);
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "shutdown");
    json end = jinx->wait_event(ev("session_end"));
    CHECK(end["connections"] == 1);
  }

  TEST_CASE("exit: a second SIGINT exits at once") {
    // Deterministic (issue 9 #20): the command ignores SIGTERM, so the
    // shutdown surely lasts (up to the 5 s SIGKILL) when the second SIGINT
    // is sent, after the first one's shutdown has visibly begun.
    // The command says when its trap is set: a SIGTERM before that would
    // end it, and the session, at once.
    EchoServer up;
    TempDir dir;
    std::string ready = dir.file("ready");
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()), {},
                                 {"sh", "-c", "trap '' TERM; : > '" + ready + "'; sleep 30"});
    INFO(jinx->describe());
    auto waited = Clock::now();
    while (access(ready.c_str(), F_OK) != 0 && ms_since(waited) < 5000) {
      std::this_thread::sleep_for(5ms);  // a file has no event to await
    }
    REQUIRE(access(ready.c_str(), F_OK) == 0);
    Socket c = connect_or_throw(jinx->listen_address("p"));
    jinx->wait_event(ev("conn_upstream").with("conn", 1));
    jinx->send_signal(SIGINT);
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "shutdown");
    // Still waiting for the command, which ignores SIGTERM.
    CHECK(jinx->find(ev("session_end")).empty());
    auto t0 = Clock::now();
    jinx->send_signal(SIGINT);
    ExitStatus st = jinx->wait_exit(3000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 130);
    CHECK(ms_since(t0) <= 1000);
  }

  TEST_CASE("exit: a listen address in use gives 1 and names the proxy and address") {
    uint16_t port = 0;
    Socket busy = listen_any(&port);
    auto jinx = JinxProcess::run(R"(
[[proxy]]
name = "taken-proxy"
listen = "127.0.0.1:)" + std::to_string(port) +
                                 R"("
upstream = "127.0.0.1:9"
)");
    INFO(jinx->describe());
    ExitStatus st = jinx->wait_exit(5000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 1);

    std::string said = jinx->stderr_text();
    for (const Event& e : jinx->find(ev("error"))) said += e.body.value("message", "");
    CHECK(contains(said, "taken-proxy"));
    CHECK(contains(said, "127.0.0.1:" + std::to_string(port)));
    json end = jinx->wait_event(ev("session_end"));
    CHECK(end["reason"] == "error");
    CHECK(end["exit_code"] == 1);
  }

  TEST_CASE("exit: --version, --help and help run succeed") {
    Completed v = run_jinx({"--version"});
    INFO(v.report);
    CHECK(v.status.code == 0);
    REQUIRE_FALSE(v.out.empty());
    CHECK(contains(v.out[0], "0."));

    Completed h = run_jinx({"--help"});
    INFO(h.report);
    CHECK(h.status.code == 0);
    std::string help;
    for (auto& l : h.out) help += l + "\n";
    CHECK(contains(help + h.err, "run"));

    Completed hr = run_jinx({"help", "run"});
    INFO(hr.report);
    CHECK(hr.status.code == 0);
    std::string run_help;
    for (auto& l : hr.out) run_help += l + "\n";
    CHECK(contains(run_help + hr.err, "--seed"));
  }

  TEST_CASE("exit: bad usage exits 2") {
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"frobnicate"}, {"run", "--no-such-option", "x.toml"}, {"run"}}) {
      std::string joined;
      for (auto& a : args) joined += a + " ";
      CAPTURE(joined);
      Completed c = run_jinx(args);
      INFO(c.report);
      CHECK(c.status.exited);
      CHECK(c.status.code == 2);
      CHECK(c.out.empty());
      CHECK_FALSE(c.err.empty());
    }
  }

}  // TEST_SUITE

TEST_SUITE("exit") {
  // Issue 9 #8: a stall holding 8 MiB, then SIGTERM, gave the client 4.2 MiB
  // and a clean EOF. At shutdown toxics hand on what they hold.
  TEST_CASE("exit: at shutdown held data is flushed to a reading client, then FIN") {
    constexpr uint64_t kBytes = 8 * MiB;
    SourceServer up(kBytes, 51);
    auto jinx = JinxProcess::run(toxic_scenario(up.address(), "freeze", "stall", ""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "freeze"));
    Socket c = connect_or_throw(addr);
    // The upstream sends everything into the stall; nothing comes out.
    auto deadline = Clock::now() + 5000ms;
    while (up.log().get(1).sent < kBytes && Clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    REQUIRE(up.log().get(1).sent == kBytes);
    IoResult during = read_for(c.fd(), 300ms, false);
    CHECK(during.bytes == 0);

    auto t0 = Clock::now();
    jinx->send_signal(SIGTERM);
    IoResult r = read_until_eof(c.fd(), 3000ms, false);
    CHECK_MESSAGE(r.eof, "client saw " << r.str());
    CHECK(r.bytes == kBytes);
    CHECK(r.digest == stream_digest(51, kBytes));
    ExitStatus st = jinx->wait_exit(3000ms);
    CHECK(ms_since(t0) <= 2000 + 200);
    CHECK(st.code == 143);
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "shutdown");
    CHECK(close["bytes_down"] == kBytes);
  }

  TEST_CASE("exit: held data that cannot be flushed in time ends with RST, never a clean EOF") {
    constexpr uint64_t kBytes = 24 * MiB;  // more than a client's kernel buffers take
    SourceServer up(kBytes, 52);
    auto jinx = JinxProcess::run(proxy_toml("p", up.address(), "buffer = \"64MiB\"") +
                                 "[[toxic]]\nname = \"freeze\"\nproxy = \"p\"\ntype = \"stall\"\n");
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "freeze"));
    Socket c = connect_or_throw(addr);
    auto deadline = Clock::now() + 5000ms;
    while (up.log().get(1).sent < kBytes && Clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    REQUIRE(up.log().get(1).sent == kBytes);
    IoResult during = read_for(c.fd(), 300ms, false);
    CHECK(during.bytes == 0);

    // The client reads nothing until jinx has gone.
    auto t0 = Clock::now();
    jinx->send_signal(SIGTERM);
    ExitStatus st = jinx->wait_exit(3000ms);
    CHECK(ms_since(t0) <= 2000 + 200);
    CHECK(st.code == 143);
    IoResult r = read_until_eof(c.fd(), 3000ms, false);
    CHECK(r.bytes < kBytes);
    CHECK_MESSAGE(r.error == ECONNRESET, "client saw " << r.str());
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "shutdown");
    CHECK(close["bytes_down"] <= r.bytes);
  }
}  // TEST_SUITE
