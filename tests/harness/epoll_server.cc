// Level-triggered epoll, one thread. An echo connection that cannot write
// everything it read keeps the rest and stops reading until it drained
// (backpressure), so a client that does not read cannot grow the server.
// Connections closed while an epoll batch is being handled are freed only
// after the batch, because later events of the batch may still point at them.
#include "epoll_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "socket.h"

namespace jinx_test {

namespace {
constexpr size_t kChunk = 256 * 1024;  // bytes per read/write call
}

struct EpollServer::Conn {
  int fd = -1;
  ServeMode mode = ServeMode::select;
  std::string pending;  // echo bytes not yet written back
  uint32_t events = 0;
  Conn* prev = nullptr;
  Conn* next = nullptr;
};

EpollServer::EpollServer(ServeMode mode) {
  // The largest backlog (the kernel caps it at net.core.somaxconn): storms
  // and the bench's idle connections arrive in bursts.
  uint16_t port = 0;
  listen_on(listen_any(&port, 65535).release(), mode);
  start();
}

EpollServer::~EpollServer() {
  stop();
}

std::string EpollServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void EpollServer::listen_on(int listen_fd, ServeMode mode) {
  mode_ = mode;
  listen_fd_ = listen_fd;
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_fd_;  // tag: the listener
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = &wake_fd_;  // tag: stop() was called
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

void EpollServer::start() {
  thread_ = std::thread([this] { loop(); });
}

void EpollServer::serve() {
  loop();
}

void EpollServer::stop() {
  if (epoll_fd_ < 0) return;
  stopping_ = true;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  while (head_ != nullptr) {
    Conn* c = head_;
    head_ = c->next;
    close(c->fd);
    delete c;
  }
  open_ = 0;
  close(listen_fd_);
  close(wake_fd_);
  close(epoll_fd_);
  epoll_fd_ = listen_fd_ = wake_fd_ = -1;
}

void EpollServer::loop() {
  std::vector<epoll_event> events(512);
  std::vector<Conn*> closed;
  while (!stopping_) {
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wake_fd_) return;
      if (tag == &listen_fd_) {
        accept_all();
        continue;
      }
      Conn* c = static_cast<Conn*>(tag);
      if (c->fd < 0) continue;  // closed earlier in this batch
      on_event(c, events[i].events);
      if (c->fd < 0) closed.push_back(c);
    }
    for (Conn* c : closed) delete c;
    closed.clear();
  }
}

void EpollServer::accept_all() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE: try again on the next event
    Conn* c = new Conn;
    c->fd = fd;
    c->mode = mode_;
    c->next = head_;
    if (head_ != nullptr) head_->prev = c;
    head_ = c;
    accepted_.fetch_add(1, std::memory_order_relaxed);
    open_.fetch_add(1, std::memory_order_relaxed);
    epoll_event ev{};
    ev.events = c->events = mode_ == ServeMode::source ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void EpollServer::want(Conn* c, uint32_t events) {
  if (c->events == events) return;
  epoll_event ev{};
  ev.events = c->events = events;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
}

void EpollServer::drop(Conn* c, bool finished) {
  // Deregister explicitly: close() alone removes an fd from the epoll set
  // only when no other descriptor shares its socket, and a child forked by
  // the bench (a relay starting) holds copies of every fd until it execs.
  // A registration left behind would hand out this Conn after it is freed.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  c->fd = -1;
  if (c->prev != nullptr)
    c->prev->next = c->next;
  else
    head_ = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  open_.fetch_sub(1, std::memory_order_relaxed);
  (finished ? finished_ : failed_).fetch_add(1, std::memory_order_relaxed);
}

void EpollServer::on_event(Conn* c, uint32_t events) {
  if ((events & EPOLLOUT) != 0) on_writable(c);
  if (c->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) on_readable(c);
}

void EpollServer::on_readable(Conn* c) {
  // One buffer per thread: connections never keep a read buffer of their own.
  thread_local std::vector<char> buf(kChunk);
  // An echo connection holding unsent bytes reads nothing more, or the echo
  // would overtake them; on_writable resumes reading once they are out.
  if (c->mode == ServeMode::echo && !c->pending.empty()) return;
  for (int rounds = 0; rounds < 16; ++rounds) {  // bounded: be fair to others
    ssize_t r = recv(c->fd, buf.data(), buf.size(), 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) {  // EOF (nothing is pending, see above) or reset: close
      drop(c, r == 0);
      return;
    }
    size_t n = static_cast<size_t>(r);
    const char* data = buf.data();
    if (c->mode == ServeMode::select) {
      c->mode = data[0] == 's'   ? ServeMode::sink
                : data[0] == 'o' ? ServeMode::source
                                 : ServeMode::echo;
      if (c->mode == ServeMode::source) {
        want(c, EPOLLIN | EPOLLOUT);
        continue;  // the selector byte is not data
      }
    }
    switch (c->mode) {
      case ServeMode::sink:
        sunk_.fetch_add(n, std::memory_order_relaxed);
        break;
      case ServeMode::source:
        break;  // a source ignores what the client says
      default: {
        ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          drop(c, false);
          return;
        }
        size_t sent = w < 0 ? 0 : static_cast<size_t>(w);
        echoed_.fetch_add(sent, std::memory_order_relaxed);
        if (sent < n) {
          c->pending.assign(data + sent, n - sent);
          want(c, EPOLLOUT);  // stop reading until the client reads
          return;
        }
      }
    }
  }
}

void EpollServer::on_writable(Conn* c) {
  if (c->mode == ServeMode::source) {
    static const std::vector<char> pattern = [] {
      std::vector<char> p(kChunk);
      for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>('a' + i % 26);
      return p;
    }();
    for (int rounds = 0; rounds < 16; ++rounds) {
      ssize_t w = send(c->fd, pattern.data(), pattern.size(), MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) drop(c, false);
        return;
      }
      sourced_.fetch_add(static_cast<uint64_t>(w), std::memory_order_relaxed);
    }
    return;
  }
  while (!c->pending.empty()) {
    ssize_t w = send(c->fd, c->pending.data(), c->pending.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EINTR) drop(c, false);
      return;
    }
    echoed_.fetch_add(static_cast<uint64_t>(w), std::memory_order_relaxed);
    c->pending.erase(0, static_cast<size_t>(w));
  }
  std::string().swap(c->pending);  // give the memory back: idle conns stay small
  want(c, EPOLLIN);
}

}  // namespace jinx_test
