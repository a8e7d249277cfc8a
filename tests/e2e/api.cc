// The control API (SPEC 10, issue 12) end to end: the real binary, raw HTTP
// over loopback. Its events (api_listen, "source": "api"), the wrapped
// command's TOXIPROXY_URL and JINX_API, the timeline's toxics seen and ended
// through it, --populate, and the HTTP server's handling of keep-alive,
// pipelining, chunked bodies, the body cap and malformed requests.
#include <csignal>
#include <fstream>

#include "e2e.h"

using namespace jinx_test;

namespace {

struct HttpReply {
  int status = 0;
  std::string head;
  std::string body;
};

// Reads one response from `fd` (Content-Length bodies only, as the API sends).
HttpReply read_reply(int fd, std::string& pending) {
  auto deadline = Clock::now() + 5000ms;
  while (pending.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
    IoResult r = read_for(fd, 20ms);
    pending += r.data;
    if (r.eof || r.error) break;
  }
  HttpReply reply;
  size_t end = pending.find("\r\n\r\n");
  REQUIRE_MESSAGE(end != std::string::npos, "no response head in: " << pending);
  reply.head = pending.substr(0, end + 2);
  std::sscanf(reply.head.c_str(), "HTTP/1.1 %d", &reply.status);
  size_t length = 0;
  if (size_t at = reply.head.find("Content-Length: "); at != std::string::npos) {
    length = std::stoul(reply.head.substr(at + 16));
  }
  while (pending.size() < end + 4 + length && Clock::now() < deadline) {
    IoResult r = read_for(fd, 20ms);
    pending += r.data;
    if (r.eof || r.error) break;
  }
  REQUIRE(pending.size() >= end + 4 + length);
  reply.body = pending.substr(end + 4, length);
  pending.erase(0, end + 4 + length);
  return reply;
}

// One request on a fresh connection.
HttpReply http(const std::string& api, const std::string& method, const std::string& path,
               const std::string& body = "") {
  Socket s = connect_or_throw(api);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  REQUIRE(send_all(s.fd(), req).ok());
  std::string pending;
  return read_reply(s.fd(), pending);
}

std::string start_api(JinxProcess& jinx) {
  return jinx.wait_event(ev("api_listen"))["address"].get<std::string>();
}

}  // namespace

TEST_SUITE("api") {
  TEST_CASE("api: --api alone serves the API, and what it does reports source api") {
    EchoServer up;
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--no-progress"});
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    HttpReply created =
        http(api, "POST", "/proxies",
             R"({"name":"db","listen":"127.0.0.1:0","upstream":")" + up.address() + "\"}");
    CHECK(created.status == 201);
    json proxy = json::parse(created.body);
    CHECK(proxy["enabled"] == true);
    CHECK(proxy["toxics"].empty());
    json listen = jinx.wait_event(ev("proxy_listen").with("proxy", "db"));
    CHECK(listen["source"] == "api");
    CHECK(listen["listen"] == proxy["listen"]);
    HttpReply toxic = http(api, "POST", "/proxies/db/toxics",
                           R"({"type":"latency","attributes":{"latency":200}})");
    CHECK(toxic.status == 200);
    CHECK(json::parse(toxic.body)["name"] == "latency_downstream");
    json on = jinx.wait_event(ev("toxic_on").with("toxic", "latency_downstream"));
    CHECK(on["source"] == "api");
    CHECK(on["attributes"]["latency"] == 200);
    // The toxic acts on real traffic: the echo comes back 200 ms late.
    Socket c = connect_or_throw(proxy["listen"].get<std::string>());
    double rtt = echo_rtt_ms(c.fd());
    CHECK(rtt >= 200 - kEarly);
    CHECK(rtt < 200 + kLate);
    // /metrics counts the bytes delivered each way, under Toxiproxy's names.
    c = Socket();
    jinx.wait_event(ev("conn_close"));
    std::string metrics = http(api, "GET", "/metrics").body;
    CHECK(
        contains(metrics, "toxiproxy_proxy_sent_bytes_total{direction=\"upstream\",proxy=\"db\","));
    CHECK(contains(metrics, "upstream=\"" + up.address() + "\"} 32\n"));
    CHECK(http(api, "PATCH", "/proxies/db/toxics/latency_downstream",
               R"({"attributes":{"latency":0}})")
              .status == 200);
    CHECK(jinx.wait_event(ev("toxic_update"))["source"] == "api");
    CHECK(http(api, "DELETE", "/proxies/db/toxics/latency_downstream").status == 204);
    CHECK(jinx.wait_event(ev("toxic_off"))["source"] == "api");
    CHECK(http(api, "POST", "/proxies/db", R"({"enabled":false})").status == 200);
    json closed = jinx.wait_event(ev("proxy_close"));
    CHECK(closed["source"] == "api");
    CHECK(connect_tcp(proxy["listen"].get<std::string>()).error == ECONNREFUSED);
    jinx.send_signal(SIGTERM);
    CHECK(jinx.wait_exit(5000ms).code == 143);
  }

  TEST_CASE("api: a toxic added again is listed after those added since, in a new window") {
    EchoServer up;
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--no-progress"});
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    REQUIRE(http(api, "POST", "/proxies",
                 R"({"name":"db","listen":"127.0.0.1:0","upstream":")" + up.address() + "\"}")
                .status == 201);
    std::string a = R"({"name":"a","type":"latency","attributes":{"latency":1}})";
    CHECK(http(api, "POST", "/proxies/db/toxics", a).status == 200);
    CHECK(http(api, "POST", "/proxies/db/toxics", R"({"name":"b","type":"noop"})").status == 200);
    CHECK(http(api, "DELETE", "/proxies/db/toxics/a").status == 204);
    CHECK(http(api, "POST", "/proxies/db/toxics", a).status == 200);
    json list = json::parse(http(api, "GET", "/proxies/db/toxics").body);
    REQUIRE(list.size() == 2);
    CHECK(list[0]["name"] == "b");
    CHECK(list[1]["name"] == "a");
    jinx.wait_event(ev("toxic_on").with("toxic", "a").with("window", 0));
    jinx.wait_event(ev("toxic_on").with("toxic", "a").with("window", 1));
    // Echoed through both, in order.
    Socket c = connect_or_throw(json::parse(http(api, "GET", "/proxies/db").body)["listen"]);
    CHECK(echo_rtt_ms(c.fd()) >= 1 - kEarly);
  }

  TEST_CASE("api: the wrapped command gets TOXIPROXY_URL and JINX_API") {
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--no-progress", "--", "sh", "-c",
                      "echo \"url=$TOXIPROXY_URL api=$JINX_API\" >&2"});
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    ExitStatus st = jinx.wait_exit(5000ms);
    CHECK(st.code == 0);
    CHECK(contains(jinx.stderr_text(), "url=http://" + api + " api=" + api));
  }

  TEST_CASE("api: the scenario's `api` key; timeline toxics are listed while open, and deleted") {
    EchoServer up;
    auto jinx = JinxProcess::run(
        "api = \"127.0.0.1:0\"\n" +
            toxic_scenario(up.address(), "slow", "latency", "latency = \"300ms\"\nstart = \"0s\""),
        {"--no-progress"});
    INFO(jinx->describe());
    std::string api = start_api(*jinx);
    json on = jinx->wait_event(ev("toxic_on").with("toxic", "slow"));
    CHECK(on["source"] == "timeline");
    json toxics = json::parse(http(api, "GET", "/proxies/p/toxics").body);
    REQUIRE(toxics.size() == 1);
    CHECK(toxics[0]["name"] == "slow");
    CHECK(toxics[0]["attributes"]["latency"] == 300);
    // A timeline toxic's name is taken for the API.
    CHECK(http(api, "POST", "/proxies/p/toxics", R"({"name":"slow","type":"noop"})").status == 409);
    CHECK(http(api, "DELETE", "/proxies/p/toxics/slow").status == 204);
    json off = jinx->wait_event(ev("toxic_off").with("toxic", "slow"));
    CHECK(off["source"] == "api");
    CHECK(json::parse(http(api, "GET", "/proxies/p/toxics").body).empty());
    std::string p = jinx->listen_address("p");
    Socket c = connect_or_throw(p);
    CHECK(echo_rtt_ms(c.fd()) < 150);
  }

  TEST_CASE("api: --populate reads Toxiproxy's JSON config") {
    EchoServer up;
    auto dir = std::make_shared<TempDir>();
    std::string file = dir->path() + "/toxiproxy.json";
    std::ofstream(file) << R"([{"name":"a","listen":"127.0.0.1:0","upstream":")" + up.address() +
                               R"("},{"name":"b","listen":"127.0.0.1:0","upstream":")" +
                               up.address() + R"(","enabled":false}])";
    JinxOptions opts;
    opts.dir = dir;
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--populate", file, "--no-progress"}, opts);
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    std::string a = jinx.listen_address("a");
    Socket c = connect_or_throw(a);
    CHECK(echo_rtt_ms(c.fd()) < 1000);
    json all = json::parse(http(api, "GET", "/proxies").body);
    CHECK(all["a"]["enabled"] == true);
    CHECK(all["b"]["enabled"] == false);
  }

  TEST_CASE("api: keep-alive, pipelining and a chunked body on one connection") {
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--no-progress"});
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    Socket s = connect_or_throw(api);
    std::string body = R"({"name":"x","upstream":"127.0.0.1:9"})";
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    std::string reqs =
        "GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n" +
        "GET /proxies/x HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(send_all(s.fd(), reqs).ok());
    std::string pending;
    HttpReply v = read_reply(s.fd(), pending);
    CHECK(v.status == 200);
    CHECK(contains(v.head, "X-Toxiproxy-Request-Id: "));
    CHECK(read_reply(s.fd(), pending).status == 201);
    HttpReply shown = read_reply(s.fd(), pending);
    CHECK(shown.status == 200);
    CHECK(json::parse(shown.body)["name"] == "x");
    // Still open: one more request on it.
    REQUIRE(send_all(s.fd(), "GET /proxies HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    CHECK(read_reply(s.fd(), pending).status == 200);
  }

  TEST_CASE("api: a body over 1 MiB is 413, garbage is 400, and both close the connection") {
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--no-progress"});
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    {
      Socket s = connect_or_throw(api);
      REQUIRE(
          send_all(s.fd(), "POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
              .ok());
      std::string pending;
      HttpReply r = read_reply(s.fd(), pending);
      CHECK(r.status == 413);
      CHECK(contains(r.head, "Connection: close"));
      CHECK(read_until_eof(s.fd(), 2000ms).eof);
    }
    {
      Socket s = connect_or_throw(api);
      REQUIRE(send_all(s.fd(), "NOT HTTP AT ALL\r\n\r\n").ok());
      std::string pending;
      HttpReply r = read_reply(s.fd(), pending);
      CHECK(r.status == 400);
      CHECK(json::parse(r.body)["status"] == 400);
      CHECK(read_until_eof(s.fd(), 2000ms).eof);
    }
    // The server is still well.
    CHECK(http(api, "GET", "/version").status == 200);
  }

  TEST_CASE("api: 300 clients at once, each answered") {
    JinxProcess jinx({"run", "--api", "127.0.0.1:0", "--no-progress"});
    INFO(jinx.describe());
    std::string api = start_api(jinx);
    std::vector<Socket> clients;
    for (int i = 0; i < 300; ++i) clients.push_back(connect_or_throw(api));
    for (auto& c : clients)
      REQUIRE(send_all(c.fd(), "GET /version HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    int answered = 0;
    for (auto& c : clients) {
      std::string pending;
      answered += read_reply(c.fd(), pending).status == 200;
    }
    CHECK(answered == 300);
  }
}
