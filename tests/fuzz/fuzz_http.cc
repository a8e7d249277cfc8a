// libFuzzer target: the HTTP/1.1 follower (src/http_stream_parser.h) of both
// directions, on arbitrary input cut at arbitrary places. The first bytes
// choose the piece sizes and the request method the responses answer; the
// rest is fed as a request stream and as a response stream. Whatever the
// input, a step never uses more than it was given, and the pieces it cuts
// put back together are the input (no byte lost or invented) up to where
// the stream stops being HTTP.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http_stream_parser.h"

namespace {

using jinx::HttpStreamParser;

void follow(HttpStreamParser::Kind kind, std::string_view input, uint8_t split, uint8_t limit) {
  HttpStreamParser parser(kind);
  if (kind == HttpStreamParser::Kind::response) {
    static const char* const kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
    parser.expect_response_to(kMethods[split % 4]);
  }
  size_t piece = 1 + split % 97;
  std::string seen;
  size_t at = 0;
  while (at < input.size()) {
    std::string_view rest = input.substr(at, piece);
    auto step = parser.feed(rest.data(), rest.size());
    if (step.used > rest.size()) __builtin_trap();
    using Stop = HttpStreamParser::Stop;
    if (step.stop == Stop::invalid || step.stop == Stop::upgraded) return;
    if (step.stop == Stop::body_limit) return;  // the relay cuts the exchange there
    if (step.stop == Stop::consumed && step.used != rest.size()) __builtin_trap();
    if (step.stop == Stop::headers_done) {
      if (parser.method().size() > HttpStreamParser::kMaxHeaderBytes) __builtin_trap();
      if (limit % 3 == 0) parser.limit_body(limit);
    }
    seen.append(rest.substr(0, step.used));
    at += step.used;
  }
  if (seen != input) __builtin_trap();
  parser.feed(nullptr, 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  // The request stream, then the response stream after the first NUL.
  size_t nul = input.find('\0');
  std::string_view requests = input.substr(0, nul);
  std::string_view responses = nul == std::string_view::npos ? input : input.substr(nul + 1);
  follow(HttpStreamParser::Kind::request, requests, data[0], data[1]);
  follow(HttpStreamParser::Kind::response, responses, data[1], data[0]);
  return 0;
}
