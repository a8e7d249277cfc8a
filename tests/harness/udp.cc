#include "udp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace jinx_test {
sockaddr_in loopback_udp(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  return sa;
}

Socket bound_udp(uint16_t port, int rcvbuf) {
  Socket s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) throw std::runtime_error("udp socket() failed");
  if (setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) {
    setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  sockaddr_in sa = loopback_udp(port);
  if (bind(s.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    throw std::runtime_error("udp bind failed: " + std::string(strerror(errno)));
  }
  return s;
}

uint16_t local_port_of(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

UdpEchoServer::UdpEchoServer(Mode mode, uint16_t port) : mode_(mode) {
  sock_ = bound_udp(port);
  port_ = local_port_of(sock_.fd());
  if (pipe2(stop_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  thread_ = std::thread([this] { run(); });
}

UdpEchoServer::~UdpEchoServer() {
  char c = 0;
  (void)!write(stop_[1], &c, 1);
  thread_.join();
  ::close(stop_[0]);
  ::close(stop_[1]);
}

void UdpEchoServer::run() {
  std::vector<char> buf(65536);
  for (;;) {
    pollfd fds[2] = {{sock_.fd(), POLLIN, 0}, {stop_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if ((fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(sock_.fd(), buf.data(), buf.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) continue;
    if (mode_ == Mode::record && n >= 8) {
      uint64_t number = 0;
      std::memcpy(&number, buf.data(), sizeof number);
      std::lock_guard<std::mutex> lock(mu_);
      numbers_.push_back(number);
    }
    ++received_;
    if (mode_ == Mode::echo) {
      sendto(sock_.fd(), buf.data(), static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from),
             len);
    }
  }
}

std::vector<uint64_t> UdpEchoServer::numbers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return numbers_;
}

UdpClient::UdpClient(const std::string& hostport) {
  sock_ = bound_udp(0);
  sockaddr_in sa = loopback_udp(port_of(hostport));
  if (connect(sock_.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    throw std::runtime_error("udp connect failed");
  }
}

bool UdpClient::send(std::string_view data) {
  return ::send(sock_.fd(), data.data(), data.size(), 0) == static_cast<ssize_t>(data.size());
}

std::optional<std::string> UdpClient::receive(ms timeout) {
  pollfd p{sock_.fd(), POLLIN, 0};
  for (;;) {
    int rc = poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc == 0) return std::nullopt;
    if (rc < 0 && errno == EINTR) continue;
    std::string buf(65536, '\0');
    ssize_t n = recv(sock_.fd(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == ECONNREFUSED) continue;
      return std::nullopt;
    }
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
}

uint16_t UdpClient::local_port() const {
  return local_port_of(sock_.fd());
}

uint16_t closed_udp_port() {
  Socket s = bound_udp(0);
  return local_port_of(s.fd());
}

}  // namespace jinx_test
