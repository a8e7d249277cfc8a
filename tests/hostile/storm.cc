#include "storm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "socket.h"

namespace jinx_test {
namespace {

constexpr size_t kMessage = 16;

struct Attempt {
  int fd = -1;
  bool connected = false;
  char msg[kMessage];
  size_t got = 0;
};

}  // namespace

std::string StormResult::str() const {
  std::ostringstream s;
  s << attempted << " attempts: " << echoed << " echoed, " << refused << " refused, " << reset
    << " reset, " << timed_out << " timed out, " << other << " other";
  for (auto& [err, n] : errors) s << " [" << std::strerror(err) << ": " << n << "]";
  s << ", " << wall_ms << " ms";
  return s.str();
}

StormResult run_storm(const std::string& target, uint64_t total, int in_flight, ms limit) {
  StormResult r;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port_of(target));
  inet_pton(AF_INET, target.substr(0, target.rfind(':')).c_str(), &sa.sin_addr);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Attempt> slots(static_cast<size_t>(in_flight));
  std::vector<uint32_t> free_slots;
  for (int i = in_flight - 1; i >= 0; --i) free_slots.push_back(static_cast<uint32_t>(i));
  auto start = Clock::now();
  auto deadline = start + limit;
  int open = 0;

  auto finish = [&](uint32_t i, int err) {
    Attempt& a = slots[i];
    epoll_ctl(ep, EPOLL_CTL_DEL, a.fd, nullptr);
    close(a.fd);
    a = Attempt{};
    free_slots.push_back(i);
    --open;
    if (err == 0) {
      ++r.echoed;
      return;
    }
    ++r.errors[err];
    if (err == ECONNREFUSED)
      ++r.refused;
    else if (err == ECONNRESET || err == EPIPE)
      ++r.reset;
    else if (err == ETIMEDOUT)
      ++r.timed_out;
    else
      ++r.other;
  };

  while ((r.attempted < total || open > 0) && Clock::now() < deadline) {
    // Fire every free slot at once.
    while (r.attempted < total && !free_slots.empty()) {
      uint32_t i = free_slots.back();
      free_slots.pop_back();
      Attempt& a = slots[i];
      a.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      std::snprintf(a.msg, sizeof a.msg, "storm%010llu",
                    static_cast<unsigned long long>(r.attempted));
      ++r.attempted;
      ++open;
      if (a.fd < 0) {
        int err = errno;
        a.fd = socket(AF_INET, SOCK_STREAM, 0);  // so finish() has something to close
        finish(i, err);
        continue;
      }
      // Each attempt from its own source address (127.2.x.y): the kernel
      // would otherwise reuse client ports still in TIME_WAIT or FIN_WAIT2
      // (tcp_tw_reuse on loopback) and reset jinx's side of the old
      // connection, an artefact of the test, not of jinx.
      int one = 1;
      setsockopt(a.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      uint64_t n = r.attempted;
      local.sin_addr.s_addr =
          htonl((127u << 24) | (2u << 16) | static_cast<uint32_t>((n / 250) % 256) << 8 |
                static_cast<uint32_t>(1 + n % 250));
      if (bind(a.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        int err = errno;
        finish(i, err);
        continue;
      }
      int rc = connect(a.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      if (rc != 0 && errno != EINPROGRESS) {
        int err = errno;
        finish(i, err);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u32 = i;
      epoll_ctl(ep, EPOLL_CTL_ADD, a.fd, &ev);
    }
    epoll_event events[512];
    int n = epoll_wait(ep, events, 512, 100);
    for (int k = 0; k < n; ++k) {
      uint32_t i = events[k].data.u32;
      Attempt& a = slots[i];
      if (a.fd < 0) continue;
      if (!a.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          finish(i, err);
          continue;
        }
        a.connected = true;
        if (send(a.fd, a.msg, kMessage, MSG_NOSIGNAL) != static_cast<ssize_t>(kMessage)) {
          finish(i, errno ? errno : EIO);
          continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = i;
        epoll_ctl(ep, EPOLL_CTL_MOD, a.fd, &ev);
        continue;
      }
      char buf[kMessage];
      ssize_t got = recv(a.fd, buf, kMessage - a.got, MSG_DONTWAIT);
      if (got > 0) {
        if (std::memcmp(buf, a.msg + a.got, static_cast<size_t>(got)) != 0) {
          finish(i, EBADMSG);
          continue;
        }
        a.got += static_cast<size_t>(got);
        if (a.got == kMessage) finish(i, 0);
      } else if (got == 0) {
        finish(i, ECONNRESET);  // ended before the echo: counted with resets
      } else if (errno != EAGAIN && errno != EINTR) {
        finish(i, errno);
      }
    }
  }
  for (uint32_t i = 0; i < slots.size(); ++i)
    if (slots[i].fd >= 0) finish(i, ETIMEDOUT);
  close(ep);
  r.wall_ms = ms_since(start);
  return r;
}

}  // namespace jinx_test
