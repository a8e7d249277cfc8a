// A blocking TCP server on 127.0.0.1, port 0: one accept thread, one thread
// per connection running the handler. stop() (also run by the destructor)
// closes the listener, shuts down every open connection so blocked calls
// return, and joins every thread.
//
// The concrete servers in servers.h own a TcpServer as their last member, so
// it is destroyed (and its threads joined) before the state they share.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "clock.h"

namespace jinx_test {

class TcpServer;

struct ServerConn {
  int fd;
  int index;  // 1-based accept order
  Clock::time_point accepted;
  TcpServer* server;
};

class TcpServer {
 public:
  using Handler = std::function<void(ServerConn&)>;
  // Binds and starts accepting at once.
  explicit TcpServer(Handler handler);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  int accepted() const { return accepted_.load(); }
  void stop();
  bool stopping() const { return stopping_.load(); }
  // Sleeps until stop() or the timeout; true if stopping.
  bool wait_stopping(ms timeout);

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void accept_loop();
  void reap_finished();

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::condition_variable stop_cv_;
  std::set<int> open_fds_;
  std::list<Worker> workers_;
  std::thread acceptor_;
};

}  // namespace jinx_test
