#include "address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <charconv>

namespace jinx {

bool split_host_port(std::string_view text, std::string* host, uint16_t* port, std::string* err) {
  std::string_view h;
  std::string_view p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *err = "'" + std::string(text) + "' is not [IPv6]:port";
      return false;
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *err = "'" + std::string(text) + "' needs a port, e.g. \"127.0.0.1:8080\"";
      return false;
    }
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) {
      *err = "'" + std::string(text) + "': write IPv6 addresses in brackets, e.g. \"[::1]:8080\"";
      return false;
    }
  }
  if (h.empty()) {
    *err = "'" + std::string(text) + "' needs a host, e.g. \"127.0.0.1:8080\"";
    return false;
  }
  // A host name, an IPv4 address, or (in brackets) an IPv6 one.
  for (unsigned char c : h) {
    if (std::isalnum(c) == 0 && c != '.' && c != '-' && c != '_' && c != ':' && c != '%') {
      *err = "'" + std::string(text) + "': invalid character in host '" + std::string(h) + "'";
      return false;
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value > 65535) {
    *err = "invalid port '" + std::string(p) + "' in '" + std::string(text) + "' (0-65535)";
    return false;
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

std::string format_sockaddr(const sockaddr* addr) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

std::string join_host_port(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (std::isalnum(c) == 0 && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string env_name_for_proxy(std::string_view proxy) {
  std::string out = "JINX_";
  for (unsigned char c : proxy) {
    char u = static_cast<char>(std::toupper(c));
    out += ((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) ? u : '_';
  }
  return out;
}

}  // namespace jinx
