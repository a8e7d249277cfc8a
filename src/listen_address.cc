#include "listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace jinx {

namespace {

bool literal_address(const std::string& host, uint16_t port, SocketAddress* out) {
  auto* in = reinterpret_cast<sockaddr_in*>(&out->storage);
  if (uv_ip4_addr(host.c_str(), port, in) == 0) {
    out->length = sizeof(sockaddr_in);
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (uv_ip6_addr(host.c_str(), port, in6) == 0) {
    out->length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool same_address(const SocketAddress& a, const SocketAddress& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

}  // namespace

bool listen_addresses(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                      std::string* err) {
  out->clear();
  SocketAddress literal;
  if (literal_address(host, port, &literal)) {
    out->push_back(literal);
    return true;
  }
  std::vector<SocketAddress> resolved;
  if (!Resolver::resolve_now(host, port, &resolved, err)) return false;
  for (const SocketAddress& a : resolved) {
    bool seen = std::any_of(out->begin(), out->end(),
                            [&](const SocketAddress& b) { return same_address(a, b); });
    if (!seen) out->push_back(a);
  }
  // IPv4 first, otherwise in the resolver's order.
  std::stable_partition(out->begin(), out->end(),
                        [](const SocketAddress& a) { return a.family() == AF_INET; });
  return !out->empty();
}

bool bind_listen_addresses(std::vector<SocketAddress>* addrs, bool all_or_nothing,
                           const std::function<int(SocketAddress*)>& bind_one,
                           const std::function<void(const SocketAddress&, int code)>& skipped,
                           ListenBindFailure* failed) {
  for (size_t i = 0; i < addrs->size();) {
    SocketAddress& address = (*addrs)[i];
    if (i > 0) set_port(&address, port_of((*addrs)[0]));
    int code = bind_one(&address);
    if (code == 0) {
      ++i;
      continue;
    }
    if (i == 0 || all_or_nothing) {
      *failed = {address, code, i == 0};
      return false;
    }
    skipped(address, code);
    addrs->erase(addrs->begin() + static_cast<std::ptrdiff_t>(i));
  }
  return true;
}

bool is_loopback(const SocketAddress& address) {
  if (address.family() == AF_INET) {
    auto ip = ntohl(reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_addr.s_addr);
    return (ip >> 24) == 127;
  }
  const in6_addr& a6 = reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

uint16_t port_of(const SocketAddress& address) {
  if (address.family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_port);
}

void set_port(SocketAddress* address, uint16_t port) {
  if (address->family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address->storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&address->storage)->sin_port = htons(port);
  }
}

}  // namespace jinx
