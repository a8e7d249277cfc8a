// Addresses and names: "host:port" / "[v6]:port" splitting, sockaddr printing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sockaddr;

namespace jinx {

// Splits "host:port" or "[v6]:port". The host keeps no brackets.
bool split_host_port(std::string_view text, std::string* host, uint16_t* port, std::string* err);
// "ip:port", or "[v6]:port".
std::string format_sockaddr(const sockaddr* addr);
// "host:port", bracketing IPv6 literals.
std::string join_host_port(const std::string& host, uint16_t port);
// Proxy and toxic names: [A-Za-z0-9_.-]{1,64}.
bool valid_name(std::string_view name);
// JINX_<NAME>: upper-cased, every character outside A-Z0-9 turned into '_'.
std::string env_name_for_proxy(std::string_view proxy);

}  // namespace jinx
