// The addresses a proxy's `listen` host stands for. An IP literal is itself.
// A name is resolved once, at start-up (with c-ares, so the hosts file, or
// CARES_HOSTS, decides), and the proxy binds every address it has: Debian's
// /etc/hosts makes `localhost` both ::1 and 127.0.0.1, and a client may try
// either. Binding only the first would leave 127.0.0.1 refused.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resolver.h"

namespace jinx {

// Every address of `host` with `port`, without duplicates, the first IPv4
// one first: it is the address proxy_listen and JINX_<PROXY> name, written
// in the form every client accepts.
bool listen_addresses(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                      std::string* err);

// What bind_listen_addresses could not bind.
struct ListenBindFailure {
  SocketAddress address;
  int code = 0;        // bind_one's negative error code
  bool first = false;  // the first address: nothing was bound
};

// Binds every address of `addrs` with `bind_one` (0, or a negative error
// code), each on the port the first one got (port 0: any free one); the
// same for TCP and UDP proxies. When the first cannot be bound, or any one
// with `all_or_nothing` (binding again after `down`), stops there with
// *failed and false. Otherwise an address that cannot be bound (::1 with
// IPv6 off, a port taken on one family only) leaves `addrs` once `skipped`
// has been told (for a warning), and the others are served.
bool bind_listen_addresses(std::vector<SocketAddress>* addrs, bool all_or_nothing,
                           const std::function<int(SocketAddress*)>& bind_one,
                           const std::function<void(const SocketAddress&, int code)>& skipped,
                           ListenBindFailure* failed);

// 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
bool is_loopback(const SocketAddress& address);

// The port of an IPv4 or IPv6 address.
uint16_t port_of(const SocketAddress& address);
void set_port(SocketAddress* address, uint16_t port);

}  // namespace jinx
