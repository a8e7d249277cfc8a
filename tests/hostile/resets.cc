// Peers that reset (close with SO_LINGER 0) in the middle of a large write.
// A reset on one side resets the other (SPEC 6), and jinx carries on.
#include <cstring>

#include "hostile.h"

using namespace jinx_test;

namespace {

bool reset_or_eof(const ConnRecord& r) {
  return r.error == ECONNRESET || r.send_error == ECONNRESET || r.send_error == EPIPE || r.eof;
}

}  // namespace

TEST_SUITE("hostile") {
  TEST_CASE(
      "client resets in the middle of a large upload: the upstream is reset, reason client_reset") {
    // Plain: bytes go by splice. Through a toxic: a slow upstream direction,
    // so that jinx holds data in its pipeline when the RST comes.
    std::string toxic;
    SUBCASE("plain relay") {}
    SUBCASE("through a toxic") {
      toxic =
          "[[toxic]]\nproxy = \"rst\"\ntype = \"bandwidth\"\nstream = \"upstream\"\n"
          "rate = \"8MiB/s\"\n";
    }
    SinkServer up;
    auto jinx = JinxProcess::run(proxy_toml("rst", up.address(), "buffer = \"4MiB\"") + toxic);
    Socket c = connect_or_throw(jinx->listen_address("rst"));
    // Send until the upstream has 1 MiB, then 2 MiB more, and reset at once.
    uint64_t sent = 0;
    while (up.log().get(1).bytes < 1 * MiB && sent < 64 * MiB) {
      IoResult r = send_stream(c.fd(), /*seed=*/51, 256 * KiB, 10000ms, sent);
      REQUIRE_MESSAGE(r.ok(), r.str());
      sent += r.bytes;
    }
    IoResult more = send_stream(c.fd(), 51, 2 * MiB, 10000ms, sent);
    REQUIRE_MESSAGE(more.ok(), more.str());
    sent += more.bytes;
    c.reset();

    json close = jinx->wait_event(ev("conn_close").with("conn", 1), 5000ms);
    CHECK_MESSAGE(close["reason"] == "client_reset", close.dump());
    auto rec = up.log().wait_done(1, 5000ms);
    REQUIRE(rec);
    CHECK_MESSAGE(reset_or_eof(*rec), "upstream error " << rec->error << " eof " << rec->eof);
    CHECK(rec->bytes <= sent);
    CHECK(rec->digest == stream_digest(51, rec->bytes));  // what arrived is a prefix
    MEASURED("client reset mid-upload: sent " << sent / KiB << " KiB, upstream got "
                                              << rec->bytes / KiB << " KiB and saw "
                                              << (rec->error ? std::strerror(rec->error) : "EOF"));
    ends_cleanly(*jinx);
  }

  TEST_CASE("client resets while jinx writes a large download to it: reason client_reset") {
    SourceServer up(/*bytes=*/1024 * MiB, /*seed=*/52);
    auto jinx = JinxProcess::run(proxy_toml("rst", up.address()));
    Socket c = connect_or_throw(jinx->listen_address("rst"));
    IoResult got = read_exactly(c.fd(), 4 * MiB, 10000ms);
    REQUIRE_MESSAGE(got.bytes == 4 * MiB, got.str());
    c.reset();  // with jinx's writes queued behind a full socket

    json close = jinx->wait_event(ev("conn_close").with("conn", 1), 5000ms);
    CHECK_MESSAGE(close["reason"] == "client_reset", close.dump());
    auto rec = up.log().wait_done(1, 5000ms);
    REQUIRE(rec);
    CHECK_MESSAGE(reset_or_eof(*rec), "upstream error " << rec->error << " send_error "
                                                        << rec->send_error << " eof " << rec->eof);
    CHECK(rec->sent < 1024 * MiB);
    ends_cleanly(*jinx);
  }

  TEST_CASE(
      "upstream resets in the middle of a large upload: the client is reset, reason "
      "upstream_reset") {
    ResetServer up;
    auto jinx = JinxProcess::run(proxy_toml("rst", up.address()));
    Socket c = connect_or_throw(jinx->listen_address("rst"));
    IoResult sent = send_stream(c.fd(), /*seed=*/53, 256 * MiB, 10000ms);
    CHECK_MESSAGE((sent.error == ECONNRESET || sent.error == EPIPE), sent.str());
    CHECK(sent.bytes < 256 * MiB);

    json close = jinx->wait_event(ev("conn_close").with("conn", 1), 5000ms);
    CHECK_MESSAGE(close["reason"] == "upstream_reset", close.dump());
    ends_cleanly(*jinx);
  }

  TEST_CASE("client resets while the upstream never reads: jinx notices and frees the connection") {
    // The upstream direction is stalled at the buffer cap, so jinx is not
    // reading the client when its RST arrives; it must still find out (the
    // socket reports the error), or the connection and its buffer stay until
    // the session ends.
    NoReadServer up;
    auto jinx = JinxProcess::run(proxy_toml("rst", up.address(), "buffer = \"1MiB\""));
    Socket c = connect_or_throw(jinx->listen_address("rst"));
    IoResult sent = send_stream(c.fd(), /*seed=*/54, 256 * MiB, 2000ms);
    REQUIRE_MESSAGE(sent.timed_out, sent.str());  // everything is full
    c.reset();

    json close = jinx->wait_event(ev("conn_close").with("conn", 1), 5000ms);
    CHECK_MESSAGE(close["reason"] == "client_reset", close.dump());
    ends_cleanly(*jinx);
  }

}  // TEST_SUITE
