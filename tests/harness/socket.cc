#include "socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "byte_stream.h"

namespace jinx_test {

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void Socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Socket::reset() {
  if (fd_ < 0) return;
  linger lg{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close();
}

bool Socket::shutdown_write() {
  return fd_ >= 0 && ::shutdown(fd_, SHUT_WR) == 0;
}

std::string address(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

uint16_t port_of(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("no port in '" + hostport + "'");
  return static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1)));
}

namespace {

sockaddr_in parse_v4(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("no port in '" + hostport + "'");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port_of(hostport));
  std::string host = hostport.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: '" + hostport + "'");
  return sa;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, poll_timeout(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

// One received chunk: count it, digest it, keep it if asked.
void take(IoResult& r, const char* buf, size_t n, bool keep, Fnv1a64& fnv) {
  r.bytes += n;
  fnv.update(buf, n);
  r.digest = fnv.value();
  if (keep) r.data.append(buf, n);
  r.arrivals.push_back({Clock::now(), n});
}

// Reads until `stop(r)` says enough, EOF, error, or the deadline.
template <typename Stop>
IoResult read_loop(int fd, Clock::time_point deadline, bool keep, size_t max_chunk, Stop stop,
                   bool deadline_is_timeout = true) {
  IoResult r;
  Fnv1a64 fnv;
  r.digest = fnv.value();
  std::vector<char> buf(1 << 16);
  while (!stop(r)) {
    if (!wait_fd(fd, POLLIN, deadline)) {
      r.timed_out = deadline_is_timeout;
      break;
    }
    size_t want = std::min(buf.size(), max_chunk == 0 ? buf.size() : max_chunk - r.bytes);
    ssize_t n = recv(fd, buf.data(), want, MSG_DONTWAIT);
    if (n > 0) {
      take(r, buf.data(), static_cast<size_t>(n), keep, fnv);
    } else if (n == 0) {
      r.eof = true;
      r.eof_at = Clock::now();
      break;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      r.error = errno;
      r.eof_at = Clock::now();
      break;
    }
  }
  return r;
}

}  // namespace

std::string IoResult::str() const {
  std::ostringstream s;
  s << "bytes=" << bytes << " eof=" << eof << " error=" << error
    << (error ? std::string(" (") + std::strerror(error) + ")" : std::string())
    << " timed_out=" << timed_out << " chunks=" << arrivals.size();
  return s.str();
}

ConnectResult connect_tcp(const std::string& hostport, ms timeout) {
  ConnectResult res;
  sockaddr_in sa = parse_v4(hostport);
  Socket s(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.valid()) {
    res.error = errno;
    return res;
  }
  auto deadline = Clock::now() + timeout;
  if (connect(s.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (errno != EINPROGRESS) {
      res.error = errno;
      return res;
    }
    if (!wait_fd(s.fd(), POLLOUT, deadline)) {
      res.error = ETIMEDOUT;
      return res;
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      res.error = err;
      return res;
    }
  }
  int flags = fcntl(s.fd(), F_GETFL);
  fcntl(s.fd(), F_SETFL, flags & ~O_NONBLOCK);
  int one = 1;
  setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  res.sock = std::move(s);
  return res;
}

Socket connect_or_throw(const std::string& hostport, ms timeout) {
  ConnectResult r = connect_tcp(hostport, timeout);
  if (r.error)
    throw std::runtime_error("connect to " + hostport + " failed: " + std::strerror(r.error));
  return std::move(r.sock);
}

IoResult send_all(int fd, std::string_view data, ms timeout) {
  IoResult r;
  auto deadline = Clock::now() + timeout;
  while (r.bytes < data.size()) {
    ssize_t n = send(fd, data.data() + r.bytes, data.size() - r.bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      r.bytes += static_cast<uint64_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_fd(fd, POLLOUT, deadline)) {
        r.timed_out = true;
        break;
      }
    } else {
      r.error = errno;
      break;
    }
  }
  return r;
}

IoResult send_stream(int fd, uint64_t seed, uint64_t n, ms timeout, uint64_t offset) {
  IoResult total;
  auto deadline = Clock::now() + timeout;
  std::vector<char> buf(1 << 16);
  while (total.bytes < n) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), n - total.bytes));
    stream_fill(seed, offset + total.bytes, buf.data(), k);
    auto left = std::chrono::duration_cast<ms>(deadline - Clock::now());
    IoResult r = send_all(fd, std::string_view(buf.data(), k), left < 0ms ? 0ms : left);
    total.bytes += r.bytes;
    if (!r.ok()) {
      total.error = r.error;
      total.timed_out = r.timed_out;
      break;
    }
  }
  return total;
}

int send_blocking(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, data, n, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += k;
    n -= static_cast<size_t>(k);
  }
  return 0;
}

IoResult read_exactly(int fd, size_t n, ms timeout) {
  return read_loop(fd, Clock::now() + timeout, true, n,
                   [n](const IoResult& r) { return r.bytes >= n; });
}

IoResult read_until_eof(int fd, ms timeout, bool keep) {
  return read_loop(fd, Clock::now() + timeout, keep, 0, [](const IoResult&) { return false; });
}

IoResult read_for(int fd, ms window, bool keep) {
  return read_loop(
      fd, Clock::now() + window, keep, 0, [](const IoResult&) { return false; }, false);
}

std::string local_address(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return "";
  char ip[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(sa.sin_port));
}

uint16_t closed_port() {
  uint16_t port = 0;
  Socket s = listen_any(&port);
  s.close();
  return port;
}

Socket listen_any(uint16_t* port, int backlog) {
  Socket s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) throw std::runtime_error("socket() failed");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  if (bind(s.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      listen(s.fd(), backlog) != 0)
    throw std::runtime_error(std::string("bind/listen on 127.0.0.1:0 failed: ") +
                             std::strerror(errno));
  socklen_t len = sizeof sa;
  getsockname(s.fd(), reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return s;
}

}  // namespace jinx_test
