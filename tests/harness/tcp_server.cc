#include "tcp_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "socket.h"

namespace jinx_test {

TcpServer::TcpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = listen_any(&port_).release();
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpServer::~TcpServer() {
  stop();
}

std::string TcpServer::address() const {
  return jinx_test::address(port_);
}

void TcpServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    int r = poll(&p, 1, 50);
    reap_finished();
    if (r <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto accepted_at = Clock::now();
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int index = ++accepted_;
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.insert(fd);
    ServerConn conn{fd, index, accepted_at, this};
    workers_.push_back({std::thread([this, conn, done]() mutable {
                          handler_(conn);
                          {
                            std::lock_guard l(mu_);
                            open_fds_.erase(conn.fd);
                            ::close(conn.fd);
                          }
                          *done = true;
                        }),
                        done});
  }
}

void TcpServer::reap_finished() {
  std::list<Worker> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (*it->done) {
        finished.splice(finished.end(), workers_, it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished) w.thread.join();
}

bool TcpServer::wait_stopping(ms timeout) {
  std::unique_lock lock(mu_);
  return stop_cv_.wait_for(lock, timeout, [this] { return stopping_.load(); });
}

void TcpServer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_.exchange(true)) return;
    stop_cv_.notify_all();
  }
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::list<Worker> all;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    all.swap(workers_);
  }
  for (auto& w : all) w.thread.join();
}

}  // namespace jinx_test
