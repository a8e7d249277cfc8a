// probes.cc — see probes.h. All loops poll() with a timeout derived from a
// deadline, so a toxic that holds data forever ends a probe, not the bench.
#include "probes.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

namespace {

constexpr size_t kRecord = 16;

// Waits for `events` on fd until `until`; returns the revents, 0 on timeout.
short wait_fd(int fd, short events, double until) {
  pollfd p{fd, events, 0};
  for (;;) {
    double left = until - now_s();
    if (left <= 0) return 0;
    int n = poll(&p, 1, static_cast<int>(std::ceil(left * 1000)));
    if (n > 0) return p.revents;
    if (n < 0 && errno != EINTR) return POLLERR;
  }
}

}  // namespace

SeqTrace seq_echo(const Endpoint& to, int count, double spacing, double tail_wait) {
  SeqTrace t;
  t.records.resize(static_cast<size_t>(count));
  int e = 0;
  int fd = connect_tcp(to, 3, 3, &e);
  if (fd < 0) {
    t.error = std::string("connect: ") + std::strerror(e);
    return t;
  }
  set_nodelay(fd);
  set_nonblocking(fd, true);
  std::string inbuf;
  int next_send = 0;
  long last_seq = -1;
  const double start = now_s();
  double end = start + spacing * count + tail_wait;
  while (now_s() < end) {
    double send_at = next_send < count ? start + spacing * next_send : end;
    if (now_s() >= send_at && next_send < count) {
      char rec[kRecord + 1];
      std::snprintf(rec, sizeof rec, "e%015d", next_send);  // 'e': select echo
      t.records[static_cast<size_t>(next_send)].sent = now_s();
      if (send(fd, rec, kRecord, MSG_NOSIGNAL) != static_cast<ssize_t>(kRecord)) {
        t.error = std::string("send: ") + std::strerror(errno);
        break;
      }
      ++next_send;
      continue;
    }
    short ev = wait_fd(fd, POLLIN, std::min(send_at, end));
    if (ev == 0) continue;
    char buf[4096];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r <= 0) {
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      t.error = r == 0 ? "connection closed" : std::string("recv: ") + std::strerror(errno);
      break;
    }
    double at = now_s();
    inbuf.append(buf, static_cast<size_t>(r));
    for (; inbuf.size() >= kRecord; inbuf.erase(0, kRecord)) {
      long seq = std::atol(inbuf.c_str() + 1);
      if (seq != last_seq + 1) t.in_order = false;
      last_seq = seq;
      if (seq >= 0 && seq < count) t.records[static_cast<size_t>(seq)].arrived = at;
    }
    if (last_seq == count - 1) break;  // everything is back
  }
  close(fd);
  return t;
}

Ending read_until_end(int fd, double deadline) {
  Ending end;
  char buf[65536];
  for (;;) {
    short ev = wait_fd(fd, POLLIN, deadline);
    if (ev == 0) return end;  // still open at the deadline
    ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r > 0) {
      end.bytes += static_cast<uint64_t>(r);
    } else if (r == 0) {
      end.at = now_s();
      return end;
    } else if (errno != EAGAIN && errno != EINTR) {
      end.at = now_s();
      end.err = errno;
      return end;
    }
  }
}

std::vector<Piece> record_pieces(int fd, const std::string& out, double deadline,
                                 std::string* echoed) {
  std::vector<Piece> pieces;
  int e = 0;
  if (!write_all(fd, out.data(), out.size(), &e)) return pieces;
  char buf[65536];
  while (echoed->size() < out.size()) {
    if (wait_fd(fd, POLLIN, deadline) == 0) break;
    ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r <= 0) {
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      break;
    }
    pieces.push_back({static_cast<size_t>(r), now_s()});
    echoed->append(buf, static_cast<size_t>(r));
  }
  return pieces;
}

std::vector<double> receive_rates(const std::vector<int>& fds, double skip, double window) {
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  std::vector<uint64_t> counted(fds.size(), 0);
  std::vector<char> buf(256 * 1024);
  const double t0 = now_s() + skip, t1 = t0 + window;
  for (double now; (now = now_s()) < t1;) {
    int n = poll(pfds.data(), pfds.size(), static_cast<int>(std::ceil((t1 - now) * 1000)));
    if (n <= 0) continue;
    for (size_t i = 0; i < pfds.size(); ++i) {
      if (pfds[i].revents == 0) continue;
      ssize_t r = recv(pfds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r > 0 && now_s() >= t0) counted[i] += static_cast<uint64_t>(r);
      if (r == 0) pfds[i].events = 0;  // ended; stop polling it
    }
  }
  std::vector<double> rates;
  for (uint64_t c : counted) rates.push_back(static_cast<double>(c) / window);
  return rates;
}

std::string echo_all(int fd, const std::string& out, double deadline, size_t* extra,
                     std::string* err) {
  std::string back;
  size_t sent = 0;
  set_nonblocking(fd, true);
  std::vector<char> buf(65536);
  bool shut = false;
  *extra = 0;
  while (now_s() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 50) <= 0) continue;
    if ((p.revents & POLLOUT) != 0 && sent < out.size()) {
      ssize_t w = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (w > 0) sent += static_cast<size_t>(w);
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t r = recv(fd, buf.data(), buf.size(), 0);
      if (r == 0) break;  // the echo server closed after our FIN: complete
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        *err = std::string("recv: ") + std::strerror(errno);
        break;
      }
      back.append(buf.data(), static_cast<size_t>(r));
    }
    // All sent and all back: half-close, then expect EOF and nothing more.
    if (!shut && sent == out.size() && back.size() >= out.size()) {
      shutdown(fd, SHUT_WR);
      shut = true;
    }
  }
  if (back.size() > out.size()) *extra = back.size() - out.size();
  if (err->empty() && back.size() < out.size())
    *err = "only " + std::to_string(back.size()) + " bytes came back";
  return back;
}

}  // namespace bench
