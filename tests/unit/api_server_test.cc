// The control API's HTTP server on a real loop (issue 12): its limits
// (header block, header count, idle timeout), routing without sockets, and
// no handle left once it closes (uv_loop_close() == 0).
#include "api_server.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <string>

#include "api_routes.h"

namespace jinx {
namespace {

// Answers every request with 200 and the path it asked for.
struct PathHandler final : ApiHandler {
  ApiResponse handle(const ApiRequest& request) override {
    ApiResponse r;
    r.body = request.method + " " + request.path + " " + request.body;
    return r;
  }
};

// A server on 127.0.0.1:0 and a blocking client socket, the loop turned by
// the test while it waits for the answer.
struct Bench {
  uv_loop_t loop{};
  PathHandler handler;
  std::unique_ptr<ApiServer> server;
  int client = -1;

  explicit Bench(ApiLimits limits) {
    uv_loop_init(&loop);
    server = std::make_unique<ApiServer>(&loop, handler, limits);
    std::string err;
    REQUIRE_MESSAGE(server->listen("127.0.0.1", 0, &err), err);
    client = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string& bound = server->bound_address();
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1))));
    REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Bench() {
    if (client >= 0) ::close(client);
    server->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  void send(const std::string& bytes) {
    REQUIRE(::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  // Turns the loop and reads until `want` is in the answer or the peer
  // closes; *closed says which.
  std::string read_until(const std::string& want, bool* closed, int within_ms = 3000) {
    std::string got;
    *closed = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(within_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      pollfd p{client, POLLIN, 0};
      if (poll(&p, 1, 1) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(client, buf, sizeof buf, 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
      if (!want.empty() && got.find(want) != std::string::npos) break;
    }
    return got;
  }
};

TEST_CASE("api server: a request, then the connection stays open for the next") {
  Bench b(ApiLimits{});
  b.send("GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  bool closed = false;
  std::string got = b.read_until("POST /b hi", &closed);
  CHECK(got.find("HTTP/1.1 200 OK") != std::string::npos);
  CHECK(got.find("GET /a ") != std::string::npos);  // the query is not part of the path
  CHECK(got.find("POST /b hi") != std::string::npos);
  CHECK_FALSE(closed);
  CHECK(b.server->clients() == 1);
}

TEST_CASE("api server: a header block over the cap is 431 and closes") {
  ApiLimits limits;
  limits.max_header_bytes = 1024;
  Bench b(limits);
  b.send("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  bool closed = false;
  std::string got = b.read_until("", &closed);
  CHECK(got.rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(closed);
}

TEST_CASE("api server: too many header lines is 431") {
  ApiLimits limits;
  limits.max_headers = 5;
  Bench b(limits);
  std::string req = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 6; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
  b.send(req + "\r\n");
  bool closed = false;
  CHECK(b.read_until("", &closed).rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(closed);
}

TEST_CASE("api server: a silent client is closed after the idle timeout") {
  ApiLimits limits;
  limits.idle_ms = 50;
  Bench b(limits);
  b.send("GET / HTTP/1.1\r\n");  // half a request, then nothing
  bool closed = false;
  b.read_until("", &closed, 2000);
  CHECK(closed);
  CHECK(b.server->clients() == 0);
}

TEST_CASE("api server: HTTP/1.0 without keep-alive is answered and closed") {
  Bench b(ApiLimits{});
  b.send("GET /x HTTP/1.0\r\n\r\n");
  bool closed = false;
  std::string got = b.read_until("", &closed);
  CHECK(got.find("Connection: close") != std::string::npos);
  CHECK(closed);
}

// Records which operation a route reached.
struct Recorder final : ApiControl {
  std::string last;
  ApiResponse note(std::string what) {
    last = std::move(what);
    return ApiResponse{};
  }
  ApiResponse list_proxies() override { return note("list_proxies"); }
  ApiResponse create_proxy(const std::string&) override { return note("create_proxy"); }
  ApiResponse populate(const std::string&) override { return note("populate"); }
  ApiResponse show_proxy(const std::string& p) override { return note("show_proxy " + p); }
  ApiResponse update_proxy(const std::string& p, const std::string&) override {
    return note("update_proxy " + p);
  }
  ApiResponse delete_proxy(const std::string& p) override { return note("delete_proxy " + p); }
  ApiResponse list_toxics(const std::string& p) override { return note("list_toxics " + p); }
  ApiResponse create_toxic(const std::string& p, const std::string&) override {
    return note("create_toxic " + p);
  }
  ApiResponse show_toxic(const std::string& p, const std::string& t) override {
    return note("show_toxic " + p + " " + t);
  }
  ApiResponse update_toxic(const std::string& p, const std::string& t,
                           const std::string&) override {
    return note("update_toxic " + p + " " + t);
  }
  ApiResponse delete_toxic(const std::string& p, const std::string& t) override {
    return note("delete_toxic " + p + " " + t);
  }
  ApiResponse reset() override { return note("reset"); }
  ApiResponse version() override { return note("version"); }
  ApiResponse metrics() override { return note("metrics"); }
};

TEST_CASE("api routes: Toxiproxy's table, 404, 405 and the browser guard") {
  Recorder rec;
  ApiRoutes routes(rec);
  auto call = [&](const char* method, const char* path, const char* agent = "curl/8") {
    rec.last.clear();
    return routes.handle(ApiRequest{method, path, agent, ""}).status;
  };
  CHECK(call("GET", "/proxies") == 200);
  CHECK(rec.last == "list_proxies");
  CHECK(call("PATCH", "/proxies/re%64is") == 200);
  CHECK(rec.last == "update_proxy redis");
  CHECK(call("POST", "/proxies/r/toxics/t") == 200);
  CHECK(rec.last == "update_toxic r t");
  CHECK(call("DELETE", "/proxies/r/toxics/t") == 200);
  CHECK(rec.last == "delete_toxic r t");
  CHECK(call("POST", "/populate") == 200);
  CHECK(call("PUT", "/proxies") == 405);
  CHECK(call("GET", "/reset") == 405);
  CHECK(call("GET", "/proxies/r/toxics/t/x") == 404);
  CHECK(call("GET", "/proxies/%zz") == 404);
  CHECK(call("GET", "/") == 404);
  CHECK(call("GET", "/proxies", "Mozilla/5.0 (X11; Linux)") == 403);
  CHECK(rec.last.empty());
}

}  // namespace
}  // namespace jinx
