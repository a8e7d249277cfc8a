// The addresses a proxy's `listen` host stands for. An IP literal is itself.
// A name is resolved once, at start-up (with c-ares, so the hosts file, or
// CARES_HOSTS, decides), and the proxy binds every address it has: Debian's
// /etc/hosts makes `localhost` both ::1 and 127.0.0.1, and a client may try
// either. Binding only the first would leave 127.0.0.1 refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resolver.h"

namespace jinx {

// Every address of `host` with `port`, without duplicates, the first IPv4
// one first: it is the address proxy_listen and JINX_<PROXY> name, written
// in the form every client accepts.
bool listen_addresses(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                      std::string* err);

// 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
bool is_loopback(const SocketAddress& address);

// The port of an IPv4 or IPv6 address.
uint16_t port_of(const SocketAddress& address);
void set_port(SocketAddress* address, uint16_t port);

}  // namespace jinx
