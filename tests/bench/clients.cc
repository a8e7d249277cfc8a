// clients.cc — see clients.h.
#include "clients.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace bench {

namespace {

constexpr size_t kBulkChunk = 256 * 1024;

// Connects `n` connections and sends each the selector byte. false + err.
bool open_streams(const Endpoint& to, int n, char selector, std::vector<int>* fds,
                  std::string* err) {
  for (int i = 0; i < n; ++i) {
    int e = 0;
    int fd = connect_tcp(to, 3.0, 3.0, &e);
    if (fd < 0 || !write_all(fd, &selector, 1, &e)) {
      *err = "connect " + to.text + ": " + std::strerror(e);
      if (fd >= 0) close(fd);
      return false;
    }
    set_nonblocking(fd, true);
    fds->push_back(fd);
  }
  return true;
}

}  // namespace

BulkResult run_bulk(const Endpoint& to, EpollServer& upstream, int streams, bool upload,
                    double warmup, double window, const std::function<void()>& tick) {
  BulkResult res;
  std::vector<int> fds;
  if (!open_streams(to, streams, upload ? 's' : 'o', &fds, &res.error)) {
    for (int fd : fds) close(fd);
    return res;
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> received{0};  // download: bytes the client read
  // One thread drives every stream through epoll, like the relay's own loop;
  // the upstream EpollServer is another thread and the relay a third process.
  std::thread driver([&] {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int fd : fds) {
      epoll_event ev{};
      ev.events = upload ? EPOLLOUT : EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    std::vector<char> buf(kBulkChunk, 'x');
    epoll_event events[64];
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep, events, 64, 50);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (upload) {
          ssize_t w = send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
          if (w < 0 && errno != EAGAIN) epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        } else {
          ssize_t r = recv(fd, buf.data(), buf.size(), 0);
          if (r > 0)
            received.fetch_add(static_cast<uint64_t>(r), std::memory_order_relaxed);
          else if (r == 0 || errno != EAGAIN)
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        }
      }
    }
    close(ep);
  });
  auto counter = [&] { return upload ? upstream.sunk() : received.load(); };
  uint64_t start = counter();
  auto wait = [&](double seconds) {  // sleeps, calling tick every ~100 ms
    double until = now_s() + seconds;
    for (double left; (left = until - now_s()) > 0;) {
      sleep_s(left < 0.1 ? left : 0.1);
      if (tick) tick();
    }
  };
  wait(warmup);
  uint64_t c0 = counter();
  double t0 = now_s();
  wait(window);
  uint64_t c1 = counter();
  double t1 = now_s();
  stop = true;
  driver.join();
  for (int fd : fds) close(fd);
  res.total_bytes = counter() - start;
  res.mb_per_s = static_cast<double>(c1 - c0) / (t1 - t0) / 1e6;
  if (c1 == c0) res.error = "no data arrived during the measurement";
  return res;
}

PingResult run_pingpong(const Endpoint& to, size_t size, double seconds, int max_count) {
  PingResult res;
  int e = 0;
  int fd = connect_tcp(to, 3.0, 2.0, &e);
  if (fd < 0) {
    res.error = "connect " + to.text + ": " + std::strerror(e);
    return res;
  }
  set_nodelay(fd);
  std::vector<char> out(size, 'p'), in(size);
  out[0] = 'e';                 // select: echo
  constexpr int kWarmup = 200;  // round trips not counted: caches, slow start
  double deadline = now_s() + seconds;
  for (int i = 0; i < kWarmup + max_count && now_s() < deadline; ++i) {
    double t0 = now_s();
    if (!write_all(fd, out.data(), size, &e) || read_full(fd, in.data(), size, &e) != size) {
      res.error = std::string("ping-pong: ") + (e != 0 ? std::strerror(e) : "connection closed");
      break;
    }
    if (i >= kWarmup) res.rtt_us.push_back((now_s() - t0) * 1e6);
  }
  close(fd);
  return res;
}

ChurnResult run_churn(const Endpoint& to, int concurrency, double seconds) {
  ChurnResult res;
  enum State { idle, connecting, reading };
  struct Slot {
    int fd = -1;
    State state = idle;
    size_t got = 0;
    double started = 0;
  };
  std::vector<Slot> slots(static_cast<size_t>(concurrency));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  char msg[64];
  std::memset(msg, 'c', sizeof msg);
  msg[0] = 'e';  // select: echo
  const double t_start = now_s(), deadline = t_start + seconds, give_up = deadline + 2.0;

  auto fail = [&](Slot& s, int err) {  // err 0: EOF before the echo
    if (res.first_error.empty())
      res.first_error = err == 0 ? "closed before the echo" : std::strerror(err);
    ++res.failed;
    close(s.fd);
    s = Slot{};
  };
  auto send_request = [&](size_t i) {
    Slot& s = slots[i];
    if (send(s.fd, msg, sizeof msg, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof msg))
      return fail(s, errno);
    s.state = reading;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev);
  };
  auto begin = [&](size_t i) {
    Slot& s = slots[i];
    s.fd = socket(to.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s.started = now_s();
    int rc = connect(s.fd, reinterpret_cast<const sockaddr*>(&to.sa), to.len);
    if (rc != 0 && errno != EINPROGRESS) return fail(s, errno);
    s.state = connecting;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
  };

  for (size_t i = 0; i < slots.size(); ++i) begin(i);
  epoll_event events[256];
  char buf[64];
  for (;;) {
    double now = now_s();
    bool busy = false;
    for (size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots[i];
      if (s.state != idle && now - s.started > 2.0) fail(s, ETIMEDOUT);
      // A failed connection is replaced at once; the failure cap keeps a
      // refusing relay from spinning here for the whole run.
      if (s.state == idle && now < deadline && res.failed < 10000) begin(i);
      busy |= s.state != idle;
    }
    if (!busy || now > give_up) break;
    int n = epoll_wait(ep, events, 256, 10);
    for (int k = 0; k < n; ++k) {
      size_t i = events[k].data.u64;
      Slot& s = slots[i];
      if (s.state == connecting) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr != 0)
          fail(s, soerr);
        else
          send_request(i);
      } else if (s.state == reading) {
        ssize_t r = recv(s.fd, buf, sizeof buf - s.got, 0);
        if (r <= 0) {
          if (r < 0 && errno == EAGAIN) continue;
          fail(s, r == 0 ? 0 : errno);
          continue;
        }
        s.got += static_cast<size_t>(r);
        if (s.got == sizeof msg) {
          close(s.fd);
          if (now_s() <= deadline) ++res.completed;  // only those within the window
          s = Slot{};
        }
      }
    }
  }
  for (auto& s : slots) {
    if (s.fd >= 0) close(s.fd);
  }
  close(ep);
  res.per_s = static_cast<double>(res.completed) / seconds;
  return res;
}

bool IdleSet::grow_to(const Endpoint& to, const EpollServer& upstream, size_t total,
                      double deadline, std::string* err) {
  if (upstream_base_ < 0) upstream_base_ = upstream.open_connections();
  // In batches: a burst larger than the relay's accept backlog would have
  // SYNs dropped and retried a second later, which measures nothing useful.
  constexpr size_t kBatch = 250;
  while (fds_.size() < total) {
    const size_t batch_start = fds_.size();
    size_t batch_end = std::min(total, batch_start + kBatch);
    while (fds_.size() < batch_end) {
      if (now_s() > deadline) {
        *err = "only " + std::to_string(fds_.size()) + " connections opened in time";
        return false;
      }
      int e = 0;
      int fd = connect_tcp(to, 3.0, 3.0, &e);
      if (fd < 0) {
        *err = "connect #" + std::to_string(fds_.size() + 1) + ": " + std::strerror(e);
        return false;
      }
      fds_.push_back(fd);
    }
    // Wait until the relay has dialled upstream for every one of them.
    auto want = upstream_base_ + static_cast<int64_t>(fds_.size());
    while (upstream.open_connections() < want) {
      if (now_s() > deadline) {
        *err = "upstream saw " + std::to_string(upstream.open_connections() - upstream_base_) +
               " of " + std::to_string(fds_.size()) + " connections in time";
        return false;
      }
      sleep_s(0.002);
    }
    if (!echo_once(batch_start, err)) return false;
  }
  return true;
}

bool IdleSet::echo_once(size_t from, std::string* err) {
  // Each connection has carried data once (issue 11's measure): a relay
  // that keeps what it needed for it, a buffer or a pipe, shows here.
  char msg[64];
  std::memset(msg, 'e', sizeof msg);  // 'e': the upstream echoes
  for (size_t i = from; i < fds_.size(); ++i) {
    int e = 0;
    if (!write_all(fds_[i], msg, sizeof msg, &e)) {
      *err = "echo write #" + std::to_string(i + 1) + ": " + std::strerror(e);
      return false;
    }
  }
  for (size_t i = from; i < fds_.size(); ++i) {
    char back[sizeof msg];
    int e = 0;
    if (read_full(fds_[i], back, sizeof back, &e) != sizeof back) {
      *err = "echo read #" + std::to_string(i + 1) + ": " + (e != 0 ? std::strerror(e) : "EOF");
      return false;
    }
  }
  return true;
}

void IdleSet::close_all() {
  for (int fd : fds_) close(fd);
  fds_.clear();
  upstream_base_ = -1;
}

}  // namespace bench
