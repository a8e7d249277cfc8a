// net.cc — see net.h.
#include "net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "socket.h"

namespace bench {

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleep_s(double seconds) {
  if (seconds <= 0) return;
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  // Retry on EINTR so that a stray signal does not shorten a measurement.
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static bool split_host_port(const std::string& s, std::string* host, std::string* port) {
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    *host = s.substr(1, close - 1);
    *port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    *host = s.substr(0, colon);
    *port = s.substr(colon + 1);
  }
  return !host->empty() && !port->empty();
}

bool resolve(const std::string& host_port, Endpoint* out, std::string* err) {
  std::string host, port;
  if (!split_host_port(host_port, &host, &port)) {
    *err = "expected HOST:PORT, got '" + host_port + "'";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    *err = "cannot resolve '" + host_port + "': " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
  out->len = res->ai_addrlen;
  out->text = host_port;
  freeaddrinfo(res);
  return true;
}

Endpoint loopback(uint16_t port) {
  Endpoint e;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::memcpy(&e.sa, &sin, sizeof sin);
  e.len = sizeof sin;
  e.text = "127.0.0.1:" + std::to_string(port);
  return e;
}

bool parse_duration(const std::string& text, double* seconds) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v < 0) return false;
  std::string unit(end);
  double scale = 0;
  if (unit.empty() || unit == "ms")
    scale = 1e-3;
  else if (unit == "us")
    scale = 1e-6;
  else if (unit == "s")
    scale = 1;
  else if (unit == "m")
    scale = 60;
  else
    return false;
  *seconds = v * scale;
  return true;
}

int listen_tcp(const std::string& host, uint16_t port, uint16_t* bound, std::string* err) {
  Endpoint ep;
  std::string hp = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!resolve(hp + ":" + std::to_string(port), &ep, err)) return -1;
  int fd = socket(ep.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // The backlog is capped by net.core.somaxconn; ask for the most, since the
  // idle-connection test opens connections in bursts.
  if (bind(fd, reinterpret_cast<sockaddr*>(&ep.sa), ep.len) != 0 || listen(fd, 65535) != 0) {
    *err = "listen on " + ep.text + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  sockaddr_storage got{};
  socklen_t len = sizeof got;
  getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len);
  *bound = got.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  return fd;
}

uint16_t pick_free_port() {
  std::string err;
  uint16_t port = 0;
  int fd = listen_tcp("127.0.0.1", 0, &port, &err);
  if (fd >= 0) close(fd);
  return port;
}

void set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void set_io_timeout(int fd, double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int connect_tcp(const Endpoint& to, double timeout_s, double io_timeout_s, int* err_no) {
  int fd = socket(to.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err_no = errno;
    return -1;
  }
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&to.sa), to.len);
  if (rc != 0 && errno != EINPROGRESS) {
    *err_no = errno;
    close(fd);
    return -1;
  }
  if (rc != 0) {
    pollfd p{fd, POLLOUT, 0};
    double deadline = now_s() + timeout_s;
    for (;;) {
      int left_ms = static_cast<int>(std::ceil((deadline - now_s()) * 1000));
      if (left_ms <= 0) {
        *err_no = ETIMEDOUT;
        close(fd);
        return -1;
      }
      int n = poll(&p, 1, left_ms);
      if (n > 0) break;
      if (n < 0 && errno != EINTR) {
        *err_no = errno;
        close(fd);
        return -1;
      }
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) {
      *err_no = soerr;
      close(fd);
      return -1;
    }
  }
  set_nonblocking(fd, false);
  set_io_timeout(fd, io_timeout_s);
  *err_no = 0;
  return fd;
}

bool write_all(int fd, const void* buf, size_t n, int* err_no) {
  *err_no = jinx_test::send_blocking(fd, static_cast<const char*>(buf), n);
  return *err_no == 0;
}

size_t read_full(int fd, void* buf, size_t n, int* err_no) {
  char* p = static_cast<char*>(buf);
  size_t got = 0;
  *err_no = 0;
  while (got < n) {
    ssize_t r = recv(fd, p + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      break;
    } else if (errno != EINTR) {
      *err_no = errno;
      break;
    }
  }
  return got;
}

void close_reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

}  // namespace bench
