// Addresses and names: host:port splitting, printing, proxy names and the
// JINX_<PROXY> variables (SPEC 1, 2).
#include "address.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>

namespace jinx {
namespace {

struct Split {
  bool ok;
  std::string host;
  uint16_t port;
  std::string err;
};

Split split(std::string_view text) {
  Split s{false, "unset", 1, {}};
  s.ok = split_host_port(text, &s.host, &s.port, &s.err);
  return s;
}

TEST_CASE("split_host_port: IPv4, names, [IPv6]") {
  auto a = split("127.0.0.1:8080");
  CHECK(a.ok);
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 8080);
  auto b = split("localhost:0");
  CHECK(b.ok);
  CHECK(b.host == "localhost");
  CHECK(b.port == 0);
  auto c = split("[::1]:9000");
  CHECK(c.ok);
  CHECK(c.host == "::1");
  CHECK(c.port == 9000);
  auto d = split("[fe80::1%eth0]:65535");
  CHECK(d.ok);
  CHECK(d.host == "fe80::1%eth0");
  CHECK(d.port == 65535);
  auto e = split("db.internal.example:5432");
  CHECK(e.ok);
  CHECK(e.host == "db.internal.example");
}

TEST_CASE("split_host_port: errors say what is wrong and leave the outputs alone") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row rows[] = {
      {"127.0.0.1", "needs a port"},
      {"localhost", "needs a port"},
      {"", "needs a port"},
      {"127.0.0.1:", "invalid port ''"},
      {"127.0.0.1:65536", "invalid port '65536'"},
      {"127.0.0.1:99999999999", "invalid port"},
      {"127.0.0.1:-1", "invalid port '-1'"},
      {"127.0.0.1:+80", "invalid port '+80'"},
      {"127.0.0.1:80x", "invalid port '80x'"},
      {"127.0.0.1: 80", "invalid port"},
      {":80", "needs a host"},
      {"[]:80", "needs a host"},
      {"::1:80", "write IPv6 addresses in brackets"},
      {"fe80::1", "write IPv6 addresses in brackets"},
      {"[::1]", "is not [IPv6]:port"},
      {"[::1]80", "is not [IPv6]:port"},
      {"[::1:80", "is not [IPv6]:port"},
      {"[::1]:", "invalid port ''"},
  };
  for (const auto& row : rows) {
    std::string text = row.text;
    CAPTURE(text);
    auto s = split(row.text);
    CHECK_FALSE(s.ok);
    CHECK(s.err.find(row.message) != std::string::npos);
    CHECK(s.host == "unset");
    CHECK(s.port == 1);
  }
}

TEST_CASE("join_host_port brackets IPv6 and round-trips") {
  CHECK(join_host_port("127.0.0.1", 80) == "127.0.0.1:80");
  CHECK(join_host_port("::1", 9000) == "[::1]:9000");
  CHECK(join_host_port("localhost", 0) == "localhost:0");
  for (const char* text : {"10.1.2.3:1", "[2001:db8::7]:443", "example.org:65535"}) {
    auto s = split(text);
    REQUIRE(s.ok);
    CHECK(join_host_port(s.host, s.port) == text);
  }
}

TEST_CASE("format_sockaddr prints ip:port and [v6]:port") {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(15432);
  inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
  CHECK(format_sockaddr(reinterpret_cast<const sockaddr*>(&v4)) == "127.0.0.1:15432");
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
  CHECK(format_sockaddr(reinterpret_cast<const sockaddr*>(&v6)) == "[2001:db8::1]:443");
  sockaddr other{};
  other.sa_family = AF_UNIX;
  CHECK(format_sockaddr(&other) == "?");
}

TEST_CASE("env_name_for_proxy") {
  CHECK(env_name_for_proxy("redis-main") == "JINX_REDIS_MAIN");
  CHECK(env_name_for_proxy("db") == "JINX_DB");
  CHECK(env_name_for_proxy("api.v2") == "JINX_API_V2");
  CHECK(env_name_for_proxy("Cache_01") == "JINX_CACHE_01");
  CHECK(env_name_for_proxy("a-b.c_d") == "JINX_A_B_C_D");
}

TEST_CASE("valid_name: [A-Za-z0-9_.-]{1,64}") {
  CHECK(valid_name("a"));
  CHECK(valid_name("redis-main"));
  CHECK(valid_name("db_1.replica-2"));
  CHECK(valid_name(std::string(64, 'x')));
  CHECK_FALSE(valid_name(std::string(65, 'x')));
  CHECK_FALSE(valid_name(""));
  CHECK_FALSE(valid_name("my db"));
  CHECK_FALSE(valid_name("a/b"));
  CHECK_FALSE(valid_name("a:b"));
  CHECK_FALSE(valid_name("caf\xc3\xa9"));
  CHECK_FALSE(valid_name(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace jinx
