// Half-open peers: one side ends its stream and keeps reading.
#include "hostile.h"

using namespace jinx_test;

TEST_SUITE("hostile") {
  TEST_CASE("half-open client: it shuts down its write side at once and still gets every byte") {
    constexpr uint64_t N = 16 * MiB;
    SourceServer up(N, /*seed=*/41);
    auto jinx = JinxProcess::run(proxy_toml("half", up.address()));
    Socket c = connect_or_throw(jinx->listen_address("half"));
    REQUIRE(c.shutdown_write());

    IoResult got = read_until_eof(c.fd(), 20000ms, false);
    CHECK_MESSAGE(got.eof, got.str());
    CHECK(got.bytes == N);
    CHECK(got.digest == stream_digest(41, N));
    auto rec = up.log().wait_done(1, 5000ms);
    REQUIRE(rec);
    CHECK(rec->eof);  // the client's FIN was passed on
    CHECK(rec->bytes == 0);
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "client_closed");
    CHECK(close["bytes_down"] == N);
    ends_cleanly(*jinx);
  }

  TEST_CASE("half-open upstream: it ends its side first and still receives every byte") {
    constexpr uint64_t N = 16 * MiB;
    SourceServer up(/*bytes=*/0, /*seed=*/42);  // FIN at once, then reads to the end
    auto jinx = JinxProcess::run(proxy_toml("half", up.address()));
    Socket c = connect_or_throw(jinx->listen_address("half"));

    IoResult end = read_until_eof(c.fd(), 5000ms, false);
    REQUIRE_MESSAGE((end.eof && end.bytes == 0), end.str());
    IoResult sent = send_stream(c.fd(), /*seed=*/43, N, 20000ms);
    CHECK_MESSAGE(sent.ok(), sent.str());
    REQUIRE(c.shutdown_write());
    auto rec = up.log().wait_done(1, 10000ms);
    REQUIRE(rec);
    CHECK(rec->eof);
    CHECK(rec->bytes == N);
    CHECK(rec->digest == stream_digest(43, N));
    json close = jinx->wait_event(ev("conn_close").with("conn", 1));
    CHECK(close["reason"] == "upstream_closed");
    CHECK(close["bytes_up"] == N);
    ends_cleanly(*jinx);
  }

}  // TEST_SUITE
