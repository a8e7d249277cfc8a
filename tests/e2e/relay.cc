// The relay with no toxic: bytes intact, half-close both ways, resets,
// unreachable upstreams, numbering, backpressure (SPEC 6).
#include <poll.h>
#include <sys/socket.h>

#include "e2e.h"

using namespace jinx_test;

TEST_SUITE("relay") {
  TEST_CASE("relay: 32 MiB each way at once arrive intact") {
    constexpr uint64_t N = 32 * MiB;
    SourceServer up(N, /*seed=*/2);
    auto jinx = JinxProcess::run(proxy_toml("bulk", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("bulk"));

    IoResult sent;
    std::thread sender([&] {
      sent = send_stream(c.fd(), /*seed=*/1, N, 120000ms);
      c.shutdown_write();
    });
    IoResult got = read_until_eof(c.fd(), 120000ms, /*keep=*/false);
    sender.join();

    CHECK_MESSAGE(sent.bytes == N, sent.str());
    CHECK_MESSAGE(got.eof, got.str());
    CHECK(got.bytes == N);
    CHECK(got.digest == stream_digest(2, N));
    auto rec = up.log().wait_done(1, 10000ms);
    REQUIRE(rec);
    CHECK(rec->eof);
    CHECK(rec->bytes == N);
    CHECK(rec->digest == stream_digest(1, N));

    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["bytes_up"] == N);
    CHECK(close["bytes_down"] == N);
  }

  TEST_CASE("relay: after the client's FIN the upstream's reply still arrives") {
    ReplyAfterEofServer up(/*reply_bytes=*/300000, /*seed=*/5);
    auto jinx = JinxProcess::run(proxy_toml("hc", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("hc"));

    REQUIRE(send_stream(c.fd(), 4, 50000, 5000ms).ok());
    REQUIRE(c.shutdown_write());
    IoResult got = read_until_eof(c.fd(), 10000ms, false);
    CHECK_MESSAGE(got.eof, got.str());
    CHECK(got.bytes == 300000);
    CHECK(got.digest == stream_digest(5, 300000));

    auto rec = up.log().wait_done(1, 5000ms);
    REQUIRE(rec);
    CHECK(rec->eof);
    CHECK(rec->bytes == 50000);
    CHECK(rec->digest == stream_digest(4, 50000));

    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["bytes_up"] == 50000);
    CHECK(close["bytes_down"] == 300000);
  }

  TEST_CASE("relay: after the upstream's FIN the client's data still reaches it") {
    SourceServer up(/*bytes=*/200000, /*seed=*/6);
    auto jinx = JinxProcess::run(proxy_toml("hc", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("hc"));

    IoResult got = read_until_eof(c.fd(), 10000ms, false);
    CHECK_MESSAGE(got.eof, got.str());
    CHECK(got.bytes == 200000);
    CHECK(got.digest == stream_digest(6, 200000));

    // The upstream has ended its stream; ours is still open.
    IoResult sent = send_stream(c.fd(), 7, 70000, 5000ms);
    CHECK_MESSAGE(sent.ok(), sent.str());
    REQUIRE(c.shutdown_write());
    auto rec = up.log().wait_done(1, 5000ms);
    REQUIRE(rec);
    CHECK(rec->eof);
    CHECK(rec->bytes == 70000);
    CHECK(rec->digest == stream_digest(7, 70000));

    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["bytes_up"] == 70000);
    CHECK(close["bytes_down"] == 200000);
  }

  TEST_CASE("relay: an upstream given by name is resolved") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("named", "localhost:" + std::to_string(up.port())));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("named"));
    CHECK(echo_rtt_ms(c.fd()) < 100);
    json upstream = jinx->wait_event(ev("conn_upstream").with("conn", 1));
    CHECK(upstream["upstream"] == up.address());
  }

  TEST_CASE("relay: an unreachable upstream resets the client") {
    std::string nowhere = address(closed_port());
    auto jinx = JinxProcess::run(proxy_toml("void", nowhere, "connect_timeout = \"2s\""));
    INFO(jinx->describe());
    ConnectResult cr = connect_tcp(jinx->listen_address("void"));
    if (cr.error) {
      // The RST can come before connect() reports completion.
      CHECK_MESSAGE(cr.error == ECONNRESET, "connect: " << errname(cr.error));
    } else {
      IoResult r = read_until_eof(cr.sock.fd(), 5000ms);
      REQUIRE_MESSAGE((r.eof || r.error), "the client connection stays open: " << r.str());
      CHECK(r.bytes == 0);
      CHECK_MESSAGE(r.error == ECONNRESET, "expected a reset (RST), got " << r.str());
    }

    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close.value("reason", "") == "upstream_unreachable");
    REQUIRE(has_string(close, "error"));
    CHECK_FALSE(close["error"].get<std::string>().empty());
    CHECK(close["bytes_up"] == 0);
    CHECK(close["bytes_down"] == 0);
  }

  TEST_CASE("relay: an upstream that connects only after a retried SYN still relays") {
    // The upstream's accept queue is full, so it drops jinx's SYN and the
    // connect is still in progress when connect() returns (as on a real
    // network): jinx watches the socket until the retried SYN connects.
    uint16_t port = 0;
    Socket listener = listen_any(&port, /*backlog=*/0);
    Socket filler = connect_or_throw(address(port));  // fills the queue
    auto jinx = JinxProcess::run(proxy_toml("late", address(port), "connect_timeout = \"10s\""));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("late"));
    REQUIRE(send_all(c.fd(), "hello").ok());
    jinx->wait_event(ev("conn_open").with("conn", 1));
    Socket taken(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));  // frees the queue
    REQUIRE(taken.valid());
    pollfd p{listener.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);  // the SYN is retried after about 1 s
    Socket up(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(up.valid());
    IoResult request = read_exactly(up.fd(), 5);
    CHECK(request.data == "hello");
    REQUIRE(send_all(up.fd(), "world").ok());
    IoResult reply = read_exactly(c.fd(), 5);
    CHECK(reply.data == "world");
    json upstream = jinx->wait_event(ev("conn_upstream").with("conn", 1));
    CHECK(upstream["connect_ms"].get<double>() > 500);  // the retried SYN, not the first
  }

  TEST_CASE("relay: connections are numbered in accept order and described by events") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("num", up.address()));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("num");

    for (int i = 1; i <= 3; ++i) {
      CAPTURE(i);
      Socket c = connect_or_throw(addr);
      std::string me = local_address(c.fd());
      std::string msg = "hello " + std::to_string(i);
      REQUIRE(send_all(c.fd(), msg).ok());
      CHECK(read_exactly(c.fd(), msg.size()).data == msg);
      c.close();

      json open = jinx->wait_event(ev("conn_open").with("conn", i));
      CHECK(open["proxy"] == "num");
      CHECK(open["client"] == me);
      json upstream = jinx->wait_event(ev("conn_upstream").with("conn", i));
      CHECK(upstream["proxy"] == "num");
      CHECK(upstream["upstream"] == up.address());
      CHECK(upstream["connect_ms"].is_number());
      json close = jinx->wait_event(ev("conn_close").with("conn", i));
      CHECK(close["proxy"] == "num");
      CHECK(close["reason"] == "client_closed");
      CHECK(close["bytes_up"] == msg.size());
      CHECK(close["bytes_down"] == msg.size());
      CHECK(close["duration_ms"].is_number());
      CHECK(close["toxics"] == json::array());
    }
  }

  TEST_CASE("relay: a client reset resets the upstream") {
    SinkServer up;
    auto jinx = JinxProcess::run(proxy_toml("rst", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("rst"));
    REQUIRE(send_all(c.fd(), "abc").ok());
    REQUIRE(up.log().wait_bytes(1, 3, 5000ms));
    c.reset();

    auto rec = up.log().wait_done(1, 5000ms);
    REQUIRE(rec);
    CHECK_MESSAGE(rec->error == ECONNRESET,
                  "upstream saw " << errname(rec->error) << (rec->eof ? " (a FIN)" : ""));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "client_reset");
  }

  TEST_CASE("relay: an upstream reset resets the client") {
    ResetServer up;
    auto jinx = JinxProcess::run(proxy_toml("rst", up.address()));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("rst"));
    REQUIRE(send_all(c.fd(), "x").ok());

    IoResult r = read_until_eof(c.fd(), 5000ms);
    CHECK_MESSAGE(r.error == ECONNRESET, r.str());
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "upstream_reset");
  }

  TEST_CASE("relay: the buffer cap bounds memory when the upstream never reads") {
    NoReadServer up;
    auto jinx = JinxProcess::run(proxy_toml("bp", up.address(), "buffer = \"1MiB\""));
    INFO(jinx->describe());
    Socket c = connect_or_throw(jinx->listen_address("bp"));
    jinx->wait_event(ev("conn_upstream").with("conn", 1));
    long rss_before = rss_kib(jinx->pid());
    REQUIRE(rss_before > 0);

    // Push until the relay stops taking data (1 s without progress) or 256 MiB.
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
    // Kernel socket buffers on the way may hold tens of MiB; jinx itself
    // must hold about 1 MiB.
    CHECK(sent < 160 * MiB);
    CHECK(rss_after - rss_before < 40 * 1024);
    CHECK(jinx->running());
  }

  TEST_CASE("relay: a client that goes away mid-stream does not kill jinx (SIGPIPE)") {
    SourceServer up(64 * MiB, 8);
    auto jinx = JinxProcess::run(proxy_toml("pipe", up.address()));
    INFO(jinx->describe());
    std::string addr = jinx->listen_address("pipe");
    {
      Socket c = connect_or_throw(addr);
      CHECK(read_exactly(c.fd(), 1 * MiB).bytes == 1 * MiB);
      c.close();  // with unread data: the kernel answers jinx's writes with RST
    }
    jinx->wait_event(ev("conn_close").with("conn", 1));
    Socket c2 = connect_or_throw(addr);
    IoResult r = read_exactly(c2.fd(), 1 * MiB);
    CHECK(r.bytes == 1 * MiB);
    CHECK(r.data == stream_bytes(8, 1 * MiB));
    CHECK(jinx->running());
  }

}  // TEST_SUITE
