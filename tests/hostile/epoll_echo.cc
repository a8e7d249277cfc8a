#include "epoll_echo.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace jinx_test {
namespace {

struct Conn {
  std::string pending;  // read, not yet echoed
  bool peer_eof = false;
};

}  // namespace

EpollEcho::EpollEcho() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      listen(listen_fd_, 4096) != 0)
    throw std::runtime_error(std::string("EpollEcho bind/listen: ") + std::strerror(errno));
  socklen_t len = sizeof sa;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = stop_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

EpollEcho::~EpollEcho() {
  uint64_t one = 1;
  ssize_t ignored = write(stop_fd_, &one, sizeof one);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(epoll_fd_);
  close(stop_fd_);
}

std::string EpollEcho::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void EpollEcho::run() {
  std::unordered_map<int, Conn> conns;
  auto drop = [&](int fd, bool ok) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
    --open_;
    ++(ok ? finished_ : failed_);
  };
  auto want = [&](int fd, const Conn& c) {
    epoll_event ev{};
    ev.events = (c.peer_eof ? 0u : static_cast<uint32_t>(EPOLLIN)) |
                (c.pending.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  };
  epoll_event events[256];
  char buf[65536];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, 256, 1000);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        for (auto& [cfd, c] : conns) close(cfd);
        open_ = 0;
        return;
      }
      if (fd == listen_fd_) {
        for (;;) {
          int cfd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          ++accepted_;
          ++open_;
          conns[cfd];
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = cfd;
          epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, cfd, &ev);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      bool failed = false;
      if (!c.peer_eof && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k > 0)
          c.pending.append(buf, static_cast<size_t>(k));
        else if (k == 0)
          c.peer_eof = true;
        else if (errno != EAGAIN && errno != EINTR)
          failed = true;
      }
      if (!failed && !c.pending.empty()) {
        ssize_t k = send(fd, c.pending.data(), c.pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k > 0)
          c.pending.erase(0, static_cast<size_t>(k));
        else if (k < 0 && errno != EAGAIN && errno != EINTR)
          failed = true;
      }
      if (failed) {
        drop(fd, false);
      } else if (c.peer_eof && c.pending.empty()) {
        shutdown(fd, SHUT_WR);
        drop(fd, true);
      } else {
        want(fd, c);
      }
    }
  }
}

}  // namespace jinx_test
