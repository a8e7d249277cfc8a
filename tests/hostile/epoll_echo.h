// An echo upstream for thousands of connections: one thread, one epoll
// loop, non-blocking sockets (the harness's servers use a thread per
// connection, which a 10,000-connection storm cannot afford). It echoes
// what it reads; on the peer's FIN it finishes echoing, then closes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace jinx_test {

class EpollEcho {
 public:
  EpollEcho();
  ~EpollEcho();  // stops the thread, closes every socket
  EpollEcho(const EpollEcho&) = delete;
  EpollEcho& operator=(const EpollEcho&) = delete;

  std::string address() const;  // "127.0.0.1:PORT"
  uint64_t accepted() const { return accepted_.load(); }
  uint64_t finished() const { return finished_.load(); }  // closed after the peer's FIN
  uint64_t failed() const { return failed_.load(); }      // ended by an error (RST...)
  int open() const { return open_.load(); }

 private:
  void run();

  int listen_fd_ = -1, epoll_fd_ = -1, stop_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<uint64_t> accepted_{0}, finished_{0}, failed_{0};
  std::atomic<int> open_{0};
  std::thread thread_;
};

}  // namespace jinx_test
