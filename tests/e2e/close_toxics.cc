// Toxics that end connections (issue 3): slow_close, timeout, reset_peer,
// limit_data. Each must fire within 10 ms of its time on an idle machine;
// these tests allow 60 ms for a loaded one.
#include <poll.h>
#include <sys/socket.h>

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

    auto t0 = Clock::now();
    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 5000ms);
    REQUIRE(r.eof);
    CHECK(r.data == stream_bytes(31, 10000));
    double late = ms_between(r.arrivals.back().at, r.eof_at);
    MEASURED("FIN " << late << " ms after the last data (delay 400 ms)");
    // Never early, counted from before the connect: the upstream cannot have
    // ended sooner. (Counted from the last data, a reader that got the data
    // a few ms late under load made the FIN look early.)
    CHECK(ms_between(t0, r.eof_at) >= 400 - kEarly);
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

TEST_SUITE("toxics") {
  // Issue 9 #18: a toxic's index went through a uint16_t, so toxic #65537
  // (0-based) was reported as toxic #1.
  TEST_CASE("toxic index: conn_close names toxic #65537, not #1") {
    SourceServer up(1000, 35);
    // 65,537 toxics on an idle proxy, whose windows never open, ahead of the
    // one that acts on the connection.
    std::string toml = proxy_toml("p", up.address()) + proxy_toml("idle", up.address());
    for (int i = 0; i < 65537; ++i)
      toml += "[[toxic]]\nproxy=\"idle\"\ntype=\"stall\"\nstart=\"1h\"\n";
    toml += "[[toxic]]\nname = \"cap\"\nproxy = \"p\"\ntype = \"limit_data\"\nbytes = 10\n";
    auto jinx = JinxProcess::run(toml);
    std::string addr = jinx->listen_address("p", 30000ms);
    jinx->wait_event(ev("toxic_on").with("toxic", "cap"), 10000ms);
    Socket c = connect_or_throw(addr);
    IoResult r = read_until_eof(c.fd(), 5000ms);
    CHECK(r.bytes == 10);
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "toxic");
    CHECK(close["toxic"] == "cap");
    CHECK(close["toxics"] == json::array({"cap"}));
  }
}  // TEST_SUITE

namespace {

// A client that keeps sending while it reads (a pipelining client): it
// sends pieces of 16 KiB whenever it can, and reads until EOF or an error.
IoResult read_while_sending(int fd, ms timeout) {
  IoResult r;
  Fnv1a64 fnv;
  std::string piece(16 * KiB, 'x');
  bool sending = true;
  auto deadline = Clock::now() + timeout;
  std::vector<char> buf(64 * KiB);
  while (Clock::now() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 50) <= 0) continue;
    if (sending && (p.revents & POLLOUT) != 0) {
      if (send(fd, piece.data(), piece.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
        sending = false;  // the relay is closing; keep reading what it sent
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) {
      r.bytes += static_cast<uint64_t>(n);
      fnv.update(buf.data(), static_cast<size_t>(n));
    } else if (n == 0) {
      r.eof = true;
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      r.error = errno;
      break;
    }
  }
  r.timed_out = !r.eof && r.error == 0;
  r.digest = fnv.value();
  return r;
}

}  // namespace

TEST_SUITE("toxics") {
  // Issue 9 #3: closing with the client's bytes unread made the kernel reset
  // the connection and throw away the output it still held (40-90 KB of
  // 1,000,000 arrived), while conn_close claimed 1000000.
  TEST_CASE("limit_data: a client that keeps sending while it reads gets exactly `bytes`") {
    constexpr uint64_t kLimit = 1000000;
    SourceServer up(4 * kLimit, 36);
    auto jinx =
        JinxProcess::run(toxic_scenario(up.address(), "cap", "limit_data", "bytes = 1000000"));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("p");
    jinx->wait_event(ev("toxic_on").with("toxic", "cap"));
    Socket c = connect_or_throw(addr);
    IoResult r = read_while_sending(c.fd(), 5000ms);
    CHECK_MESSAGE(r.eof, "client saw " << r.str());
    CHECK(r.bytes == kLimit);
    CHECK(r.digest == stream_digest(36, kLimit));
    c.close();
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "toxic");
    CHECK(close["bytes_down"] == kLimit);
  }
}  // TEST_SUITE
