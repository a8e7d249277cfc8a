// libFuzzer target: bytes from a hostile client of the control API's HTTP
// server (issue 12). The input is sent, in pieces whose sizes the first byte
// picks, into one end of a socketpair the server serves; the server must
// answer with well-formed responses only, never crash, and close every
// handle (the loop closes cleanly).
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "api_server.h"

namespace {

struct Echo final : jinx::ApiHandler {
  jinx::ApiResponse handle(const jinx::ApiRequest& request) override {
    jinx::ApiResponse r;
    r.body = request.method + " " + request.path + " " + std::to_string(request.body.size());
    return r;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;  // how the bytes arrive: 1 to 64 at a time
  ++data;
  --size;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 0;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Echo handler;
  jinx::ApiLimits limits;
  limits.max_body = 4096;  // small caps, so inputs reach them
  limits.max_header_bytes = 1024;
  limits.max_headers = 8;
  limits.idle_ms = 100000;
  {
    jinx::ApiServer server(&loop, handler, limits);
    if (!server.adopt(fds[0])) __builtin_trap();
    std::string answers;
    for (size_t at = 0; at < size; at += piece) {
      size_t n = size - at < piece ? size - at : piece;
      if (send(fds[1], data + at, n, MSG_NOSIGNAL) < 0) break;
      uv_run(&loop, UV_RUN_NOWAIT);
    }
    shutdown(fds[1], SHUT_WR);
    // The server answers what it read, then closes at the end of input.
    for (int turn = 0; turn < 1000 && server.clients() > 0; ++turn) uv_run(&loop, UV_RUN_NOWAIT);
    char buf[65536];
    ssize_t n;
    while ((n = recv(fds[1], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      answers.append(buf, static_cast<size_t>(n));
    }
    // Only whole, well-formed responses.
    if (!answers.empty() && answers.rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
    server.close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  ::close(fds[1]);
  if (uv_loop_close(&loop) != 0) __builtin_trap();
  return 0;
}
