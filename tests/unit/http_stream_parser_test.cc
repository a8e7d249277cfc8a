// The HTTP/1.1 follower of one direction (SPEC 11): where it stops, what it
// keeps, whatever the split of the input; and the match of request toxics.
#include "http_stream_parser.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http_plan.h"
#include "scenario.h"

namespace jinx {
namespace {

using Stop = HttpStreamParser::Stop;

struct Seen {
  std::vector<std::string> parts;  // the input cut where the parser stopped
  std::vector<Stop> stops;
  std::vector<std::string> paths;
};

// Feeds `input` in pieces of `piece` bytes, cutting where the parser stops.
Seen run(HttpStreamParser& p, const std::string& input, size_t piece, bool eof = false) {
  Seen seen;
  std::string current;
  for (size_t at = 0; at < input.size(); at += piece) {
    std::string_view rest = std::string_view(input).substr(at, piece);
    while (!rest.empty()) {
      auto step = p.feed(rest.data(), rest.size());
      if (step.stop == Stop::invalid) {
        seen.stops.push_back(step.stop);
        return seen;
      }
      current += rest.substr(0, step.used);
      rest.remove_prefix(step.used);
      if (step.stop == Stop::consumed) continue;
      seen.stops.push_back(step.stop);
      if (step.stop == Stop::headers_done) seen.paths.push_back(p.method() + " " + p.target());
      if (step.stop == Stop::message_done || step.stop == Stop::upgraded) {
        seen.parts.push_back(current);
        current.clear();
      }
      if (step.stop == Stop::upgraded) return seen;
    }
  }
  if (eof && p.feed(nullptr, 0).stop == Stop::message_done) {
    seen.stops.push_back(Stop::message_done);
    seen.parts.push_back(current);
  }
  return seen;
}

const std::string kPipelined =
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    "POST /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";

TEST_CASE("http parser: pipelined requests are cut at each message's end, any split") {
  for (size_t piece : {kPipelined.size(), size_t{1}, size_t{7}, size_t{64}}) {
    CAPTURE(piece);
    HttpStreamParser p(HttpStreamParser::Kind::request);
    Seen seen = run(p, kPipelined, piece);
    REQUIRE(seen.parts.size() == 3);
    CHECK(seen.parts[0] == "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(seen.parts[1].substr(0, 11) == "POST /b?q=1");
    CHECK(seen.parts[1].substr(seen.parts[1].size() - 5) == "hello");
    CHECK(seen.parts[0] + seen.parts[1] + seen.parts[2] == kPipelined);
    CHECK(seen.paths == std::vector<std::string>{"GET /a", "POST /b?q=1", "PUT /c"});
  }
}

TEST_CASE("http parser: headers are kept lower-case, the path without its query") {
  HttpStreamParser p(HttpStreamParser::Kind::request);
  std::string req = "GET /api/x?y=2 HTTP/1.1\r\nX-Tenant: a\r\nHost: h\r\n\r\n";
  auto step = p.feed(req.data(), req.size());
  REQUIRE(step.stop == Stop::headers_done);
  CHECK(p.path() == "/api/x");
  REQUIRE(p.header("x-tenant") != nullptr);
  CHECK(*p.header("x-tenant") == "a");
  CHECK(p.header("X-Tenant") == nullptr);
}

TEST_CASE("http parser: a response to HEAD has no body; one without length ends at EOF") {
  HttpStreamParser p(HttpStreamParser::Kind::response);
  p.expect_response_to("HEAD");
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  Seen seen = run(p, head, head.size());
  CHECK(seen.parts.size() == 1);

  HttpStreamParser q(HttpStreamParser::Kind::response);
  std::string close = "HTTP/1.0 200 OK\r\n\r\nbody until the end";
  seen = run(q, close, 5, /*eof=*/true);
  REQUIRE(seen.parts.size() == 1);
  CHECK(seen.parts[0] == close);
}

TEST_CASE("http parser: 100 Continue, 204 and 304 end without a body") {
  std::string input =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  HttpStreamParser p(HttpStreamParser::Kind::response);
  Seen seen = run(p, input, 3);
  REQUIRE(seen.parts.size() == 4);
  CHECK(seen.parts[3].substr(seen.parts[3].size() - 2) == "ok");
}

TEST_CASE("http parser: 101 and a 2xx to CONNECT end HTTP on the connection") {
  HttpStreamParser p(HttpStreamParser::Kind::response);
  std::string input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\x01\x02 not http";
  Seen seen = run(p, input, input.size());
  REQUIRE(!seen.stops.empty());
  CHECK(seen.stops.back() == Stop::upgraded);

  HttpStreamParser q(HttpStreamParser::Kind::response);
  q.expect_response_to("CONNECT");
  std::string tunnel = "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01";
  seen = run(q, tunnel, tunnel.size());
  REQUIRE(!seen.stops.empty());
  CHECK(seen.stops.back() == Stop::upgraded);
}

TEST_CASE("http parser: not HTTP/1.x, or a header block over 64KiB, is invalid") {
  HttpStreamParser p(HttpStreamParser::Kind::request);
  std::string tls = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  CHECK(p.feed(tls.data(), tls.size()).stop == Stop::invalid);
  CHECK(!p.error().empty());

  HttpStreamParser q(HttpStreamParser::Kind::request);
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  Seen seen = run(q, big, 4096);
  REQUIRE(!seen.stops.empty());
  CHECK(seen.stops.back() == Stop::invalid);
}

TEST_CASE("http parser: limit_body stops at the exact body byte") {
  HttpStreamParser p(HttpStreamParser::Kind::response);
  std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  auto step = p.feed(input.data(), input.size());
  REQUIRE(step.stop == Stop::headers_done);
  p.limit_body(4);
  std::string_view rest = std::string_view(input).substr(step.used);
  step = p.feed(rest.data(), rest.size());
  REQUIRE(step.stop == Stop::body_limit);
  CHECK(rest.substr(0, step.used).substr(step.used - 4) == "0123");
}

TEST_CASE("http match: method, path glob and headers must all hold") {
  CHECK(glob_match("/api/*", "/api/x/y"));
  CHECK(glob_match("/a?c", "/abc"));
  CHECK_FALSE(glob_match("/a?c", "/ac"));
  CHECK(glob_match("*", ""));
  CHECK_FALSE(glob_match("/api/*", "/ap"));

  HttpStreamParser p(HttpStreamParser::Kind::request);
  std::string req = "POST /api/charge HTTP/1.1\r\nX-Tenant: a\r\n\r\n";
  REQUIRE(p.feed(req.data(), req.size()).stop == Stop::headers_done);
  HttpMatch m{"post", "/api/*", {{"x-tenant", "a"}}};
  CHECK(http_match(m, p));
  m.headers[0].second = "b";
  CHECK_FALSE(http_match(m, p));
  CHECK_FALSE(http_match(HttpMatch{"GET", "", {}}, p));
}

}  // namespace
}  // namespace jinx
