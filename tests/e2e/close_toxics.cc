// Toxics that end connections (issue 3): slow_close, timeout, reset_peer,
// limit_data. Each must fire within 10 ms of its time on an idle machine;
// these tests allow 60 ms for a loaded one.
#include "e2e.h"

using namespace jinx_test;

TEST_SUITE("toxics") {
  TEST_CASE("slow_close: the FIN is passed on `delay` late, after the data") {
    SourceServer up(10000, 31);
    auto jinx =
        JinxProcess::run(toxic_scenario(up.address(), "sc", "slow_close", "delay = \"400ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "sc"));
    CHECK(on["attributes"]["delay"] == 400);

    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 5000ms);
    REQUIRE(r.eof);
    CHECK(r.data == stream_bytes(31, 10000));
    double late = ms_between(r.arrivals.back().at, r.eof_at);
    MEASURED("FIN " << late << " ms after the last data (delay 400 ms)");
    CHECK(late >= 400 - kEarly);
    CHECK(late <= 400 + kLate);
  }

  TEST_CASE("timeout: data is discarded and the connection closed `timeout` after it applied") {
    EchoServer up;
    auto jinx =
        JinxProcess::run(toxic_scenario(up.address(), "cut", "timeout", "timeout = \"500ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "cut"));

    auto t0 = Clock::now();
    Socket c = connect_or_throw(addr);
    REQUIRE(send_all(c.fd(), "hello").ok());
    IoResult r = read_until_eof(c.fd(), 3000ms);
    CHECK_MESSAGE((r.eof || r.error), r.str());
    CHECK(r.bytes == 0);  // the echo was discarded
    double closed = ms_between(t0, r.eof_at);
    MEASURED("closed " << closed << " ms after connect (timeout 500 ms)");
    CHECK(closed >= 500 - kEarly);
    CHECK(closed <= 500 + kLate);
    CHECK(up.log().wait_bytes(1, 5, 1000ms));  // the other direction was not touched

    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "toxic");
    CHECK(close["toxic"] == "cut");
    CHECK(lists_toxic(close, "cut"));
    CHECK(close["bytes_down"] == 0);
  }

  TEST_CASE("timeout 0: connections that lost data are closed when the window ends") {
    EchoServer up;
    auto jinx = JinxProcess::run(
        toxic_scenario(up.address(), "cut", "timeout", "timeout = \"0s\"\nduration = \"0.8s\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "cut"));

    Socket lost = connect_or_throw(addr);
    Socket idle = connect_or_throw(addr);
    REQUIRE(send_all(lost.fd(), "into the void").ok());
    IoResult during = read_for(lost.fd(), 300ms);
    CHECK(during.bytes == 0);
    CHECK_FALSE(during.eof);

    jinx->wait_event(ev("toxic_off").with("toxic", "cut"), 3000ms);
    IoResult r = read_until_eof(lost.fd(), 1000ms);
    CHECK_MESSAGE((r.eof || r.error), "the connection that lost data is still open: " << r.str());
    CHECK(r.bytes == 0);
    CHECK(echo_rtt_ms(idle.fd()) < 100);  // the one that lost nothing lives on
  }

  TEST_CASE("reset_peer: both sides are reset `timeout` after it applied") {
    SinkServer up;
    auto jinx =
        JinxProcess::run(toxic_scenario(up.address(), "rst", "reset_peer", "timeout = \"300ms\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "rst"));

    auto t0 = Clock::now();
    Socket c = connect_or_throw(addr);
    REQUIRE(send_all(c.fd(), "abc").ok());
    IoResult r = read_until_eof(c.fd(), 3000ms);
    CHECK_MESSAGE(r.error == ECONNRESET, "client saw " << r.str());
    double reset = ms_between(t0, r.eof_at);
    MEASURED("reset " << reset << " ms after connect (timeout 300 ms)");
    CHECK(reset >= 300 - kEarly);
    CHECK(reset <= 300 + kLate);

    auto rec = up.log().wait_done(1, 2000ms);
    REQUIRE(rec);
    CHECK(rec->bytes == 3);
    CHECK_MESSAGE(rec->error == ECONNRESET,
                  "upstream saw " << errname(rec->error) << (rec->eof ? " (a FIN)" : ""));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "toxic");
    CHECK(close["toxic"] == "rst");
  }

  TEST_CASE("limit_data: exactly `bytes` are delivered downstream, then the connection closes") {
    SourceServer up(100000, 32);
    auto jinx =
        JinxProcess::run(toxic_scenario(up.address(), "cap", "limit_data", "bytes = \"10KB\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "cap"));
    CHECK(on["attributes"]["bytes"] == 10000);

    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 5000ms);
    CHECK_MESSAGE((r.eof || r.error), r.str());
    CHECK(r.bytes == 10000);
    CHECK(r.data == stream_bytes(32, 10000));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "toxic");
    CHECK(close["toxic"] == "cap");
    CHECK(close["bytes_down"] == 10000);
  }

  TEST_CASE("limit_data: exactly `bytes` are delivered upstream") {
    SinkServer up;
    auto jinx = JinxProcess::run(
        toxic_scenario(up.address(), "cap", "limit_data", "bytes = 5000\nstream = \"upstream\""));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "cap"));
    Socket c = connect_or_throw(addr);
    send_stream(c.fd(), 33, 100000, 3000ms);  // may fail once the relay closes
    auto rec = up.log().wait_done(1, 3000ms);
    REQUIRE(rec);
    CHECK(rec->bytes == 5000);
    CHECK(rec->digest == stream_digest(33, 5000));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["bytes_up"] == 5000);
  }

  TEST_CASE("limit_data: bytes held by a later latency toxic are delivered before the close") {
    SourceServer up(100000, 34);
    auto jinx = JinxProcess::run(
        toxic_scenario(up.address(), "cap", "limit_data", "bytes = 5000") +
        "[[toxic]]\nname = \"slow\"\nproxy = \"p\"\ntype = \"latency\"\nlatency = \"300ms\"\n");
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "slow"));
    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 5000ms);
    CHECK_MESSAGE((r.eof || r.error), r.str());
    CHECK(r.bytes == 5000);
    CHECK(r.data == stream_bytes(34, 5000));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "toxic");
    CHECK(close["toxic"] == "cap");
    CHECK(close["bytes_down"] == 5000);
  }

}  // TEST_SUITE
