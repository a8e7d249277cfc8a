// The resolver and the dialer on a real loop, with a hosts file of our own
// (CARES_HOSTS) and a DNS server that never answers (JINX_DNS_SERVERS). Each
// test ends with uv_loop_close() == 0: no handle is left behind.
#include "resolver.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "address.h"
#include "dialer.h"
#include "listen_address.h"

namespace jinx {
namespace {

// Sets an environment variable for the life of the object.
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

// A hosts file in /tmp, removed afterwards.
struct HostsFile {
  std::string path;
  explicit HostsFile(const std::string& content) {
    char name[] = "/tmp/jinx-hosts-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    close(fd);
    path = name;
  }
  ~HostsFile() { unlink(path.c_str()); }
};

// A UDP socket on 127.0.0.1 that nobody reads: a DNS server that never answers.
struct SilentDns {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  std::string address;
  SilentDns() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    address = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  ~SilentDns() { close(fd); }
};

const char* kBoth = "::1 both.test\n127.0.0.1 both.test\n";

TEST_CASE("resolver: a name from the hosts file, every address, never from inside resolve()") {
  HostsFile hosts(kBoth);
  ScopedEnv env("CARES_HOSTS", hosts.path);
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::string err;
  auto resolver = Resolver::create(&loop, &err);
  REQUIRE_MESSAGE(resolver, err);
  std::vector<std::string> got;
  bool called = false;
  resolver->resolve("both.test", 6379, [&](std::vector<SocketAddress> addresses, std::string e) {
    called = true;
    CHECK(e.empty());
    for (const auto& a : addresses) got.push_back(format_sockaddr(a.get()));
    resolver->shutdown();
  });
  CHECK_FALSE(called);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(called);
  CHECK(got == std::vector<std::string>{"[::1]:6379", "127.0.0.1:6379"});
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("resolver: shutdown ends a lookup nobody answers, its callback unrun, no handle left") {
  SilentDns dns;
  ScopedEnv env("JINX_DNS_SERVERS", dns.address);
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::string err;
  auto resolver = Resolver::create(&loop, &err);
  REQUIRE_MESSAGE(resolver, err);
  bool called = false;
  for (int i = 0; i < 100; ++i) {
    resolver->resolve("never.test", 80, [&](auto, auto) { called = true; });
  }
  CHECK(resolver->pending() == 100);
  // Let the queries go out, then end.
  uv_timer_t later;
  uv_timer_init(&loop, &later);
  later.data = resolver.get();
  uv_timer_start(
      &later,
      [](uv_timer_t* t) {
        static_cast<Resolver*>(t->data)->shutdown();
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      },
      50, 0);
  uint64_t start = uv_hrtime();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK((uv_hrtime() - start) / 1'000'000 < 1000);
  CHECK_FALSE(called);
  CHECK(resolver->pending() == 0);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("resolver: a bad JINX_DNS_SERVERS is an error") {
  ScopedEnv env("JINX_DNS_SERVERS", "not an address");
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::string err;
  CHECK_FALSE(Resolver::create(&loop, &err));
  CHECK(err.find("JINX_DNS_SERVERS") == 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("listen_addresses: a literal is itself; a name gives every address, IPv4 first") {
  HostsFile hosts(std::string(kBoth) + "127.0.0.1 both.test\n");
  ScopedEnv env("CARES_HOSTS", hosts.path);
  std::vector<SocketAddress> out;
  std::string err;
  REQUIRE(listen_addresses("::1", 80, &out, &err));
  REQUIRE(out.size() == 1);
  CHECK(format_sockaddr(out[0].get()) == "[::1]:80");
  REQUIRE_MESSAGE(listen_addresses("both.test", 0, &out, &err), err);
  std::vector<std::string> got;
  for (const auto& a : out) got.push_back(format_sockaddr(a.get()));
  CHECK(got == std::vector<std::string>{"127.0.0.1:0", "[::1]:0"});  // no duplicate
  for (const auto& a : out) CHECK(is_loopback(a));
  set_port(&out[1], 6379);
  CHECK(port_of(out[1]) == 6379);
  REQUIRE(listen_addresses("10.1.2.3", 80, &out, &err));
  CHECK_FALSE(is_loopback(out[0]));
}

TEST_CASE("dialer: each attempt gets its share of the time left, at least 2 s if there is") {
  CHECK(Dialer::attempt_timeout_ms(10000, 1) == 10000);
  CHECK(Dialer::attempt_timeout_ms(10000, 2) == 5000);
  CHECK(Dialer::attempt_timeout_ms(10000, 10) == 2000);
  CHECK(Dialer::attempt_timeout_ms(1500, 3) == 1500);
  CHECK(Dialer::attempt_timeout_ms(0, 2) == 0);
}

// A listener on 127.0.0.1 only; both.test gives ::1 first.
struct DialFixture {
  uv_loop_t loop{};
  uv_tcp_t server{};
  uv_tcp_t upstream{};
  uint16_t port = 0;
  DialFixture() {
    REQUIRE(uv_loop_init(&loop) == 0);
    uv_tcp_init(&loop, &server);
    uv_tcp_init(&loop, &upstream);
    sockaddr_in a{};
    uv_ip4_addr("127.0.0.1", 0, &a);
    REQUIRE(uv_tcp_bind(&server, reinterpret_cast<sockaddr*>(&a), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&server), 8, [](uv_stream_t*, int) {}) == 0);
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  void close_all() {
    uv_close(reinterpret_cast<uv_handle_t*>(&server), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&upstream), nullptr);
  }
};

TEST_CASE("dialer: tries each address of the name until one connects") {
  HostsFile hosts(kBoth);
  ScopedEnv env("CARES_HOSTS", hosts.path);
  DialFixture f;
  std::string err;
  auto resolver = Resolver::create(&f.loop, &err);
  REQUIRE_MESSAGE(resolver, err);
  std::string result = "not called";
  Dialer::start(&f.loop, *resolver, "both.test", f.port, 5000, &f.upstream,
                [&](const std::string& error) {
                  result = error;
                  resolver->shutdown();
                  f.close_all();
                });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(result == "");
  CHECK(uv_loop_close(&f.loop) == 0);
}

TEST_CASE("dialer: cancelled while resolving, it frees itself and calls nobody") {
  SilentDns dns;
  ScopedEnv env("JINX_DNS_SERVERS", dns.address);
  DialFixture f;
  std::string err;
  auto resolver = Resolver::create(&f.loop, &err);
  REQUIRE_MESSAGE(resolver, err);
  bool called = false;
  Dialer* d = Dialer::start(&f.loop, *resolver, "never.test", f.port, 5000, &f.upstream,
                            [&](const std::string&) { called = true; });
  CHECK(d->resolving());
  d->cancel();
  resolver->shutdown();
  f.close_all();
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_FALSE(called);
  CHECK(uv_loop_close(&f.loop) == 0);
}

}  // namespace
}  // namespace jinx
