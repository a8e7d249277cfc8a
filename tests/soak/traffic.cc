#include "traffic.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace soak {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr uint64_t kEchoWindow = 128 * 1024;  // client: bytes in flight at most
constexpr size_t kEchoHeld = 256 * 1024;      // server: echo bytes held before it stops reading
constexpr int kMaxRounds = 8;                 // reads or writes per wake-up, for fairness

const RequestInfo kRequests[] = {
    {Request::echo, "echo", 0, 0},
    {Request::small, "get16k", 16 * 1024, 1 * 1024 * 1024},
    {Request::medium, "get256k", 256 * 1024, 3 * 1024 * 1024},
    {Request::large, "get2m", 2 * 1024 * 1024, 5 * 1024 * 1024},
};

bool transient(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

}  // namespace

const RequestInfo& request_info(Request r) {
  for (const auto& info : kRequests)
    if (info.code == r) return info;
  return kRequests[0];
}

Request decode_request(uint8_t byte) {
  Request best = Request::echo;
  int best_d = 9;
  for (const auto& info : kRequests) {
    int d = std::popcount(static_cast<unsigned>(byte ^ static_cast<uint8_t>(info.code)));
    if (d < best_d) {
      best_d = d;
      best = info.code;
    }
  }
  return best;
}

const char* end_name(End e) {
  switch (e) {
    case End::none:
      return "running";
    case End::connect_failed:
      return "connect_failed";
    case End::eof:
      return "eof";
    case End::error:
      return "error";
    case End::stuck:
      return "stuck";
  }
  return "?";
}

// ---- upstream side ----------------------------------------------------------

class ServerConn : public Pollable {
 public:
  ServerConn(UpstreamServer& server, int fd) : server_(server), fd_(fd) {
    ++server_.open_;
    ++server_.stats_.accepted;
    server_.loop_.add(fd_, EPOLLIN, this);
    interest_ = EPOLLIN;
  }
  ~ServerConn() override {
    if (fd_ >= 0) close(fd_);
  }

  void on_events(uint32_t events) override {
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_some();
    if (!dead() && (events & EPOLLOUT)) write_some();
    if (!dead()) settle();
  }

 private:
  void read_some() {
    char buf[kReadChunk];
    for (int i = 0; i < kMaxRounds && !peer_eof_; ++i) {
      if (mode_known_ && mode_ == Request::echo && held() >= kEchoHeld) return;
      ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        server_.stats_.bytes_in += static_cast<uint64_t>(n);
        const char* p = buf;
        size_t k = static_cast<size_t>(n);
        if (!mode_known_) {
          mode_known_ = true;
          mode_ = decode_request(static_cast<uint8_t>(*p));
          ++p;
          --k;
        }
        if (mode_ == Request::echo) echo_.append(p, k);
      } else if (n == 0) {
        peer_eof_ = true;
      } else if (!transient(errno)) {
        ++server_.stats_.resets;
        finish();
        return;
      } else {
        return;
      }
    }
  }

  void write_some() {
    for (int i = 0; i < kMaxRounds && !write_shut_ && mode_known_; ++i) {
      const char* data;
      size_t n;
      if (mode_ == Request::echo) {
        n = held();
        data = echo_.data() + echo_off_;
      } else {
        const RequestInfo& info = request_info(mode_);
        n = static_cast<size_t>(std::min<uint64_t>(info.bytes - dl_sent_, 256 * 1024));
        data = server_.pattern_.span(info.base, dl_sent_, &n);
      }
      if (n == 0) return;
      ssize_t k = send(fd_, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (k > 0) {
        server_.stats_.bytes_out += static_cast<uint64_t>(k);
        if (mode_ == Request::echo) {
          echo_off_ += static_cast<size_t>(k);
          if (echo_off_ == echo_.size()) {
            echo_.clear();
            echo_off_ = 0;
          } else if (echo_off_ > kEchoHeld) {
            echo_.erase(0, echo_off_);
            echo_off_ = 0;
          }
        } else {
          dl_sent_ += static_cast<uint64_t>(k);
        }
      } else if (k < 0 && !transient(errno)) {
        ++server_.stats_.resets;
        finish();
        return;
      } else {
        return;
      }
    }
  }

  size_t held() const { return echo_.size() - echo_off_; }

  // Ends our side when everything is sent, closes when both sides ended,
  // and asks for the events the state needs.
  void settle() {
    if (!write_shut_ && mode_known_) {
      bool all_sent =
          mode_ == Request::echo ? peer_eof_ && held() == 0 : dl_sent_ == request_info(mode_).bytes;
      if (all_sent) {
        shutdown(fd_, SHUT_WR);
        write_shut_ = true;
      }
    }
    if (!mode_known_ && peer_eof_) {  // a peer that sent nothing at all
      shutdown(fd_, SHUT_WR);
      write_shut_ = true;
    }
    if (write_shut_ && peer_eof_) {
      finish();
      return;
    }
    uint32_t want = 0;
    if (!peer_eof_ && !(mode_known_ && mode_ == Request::echo && held() >= kEchoHeld))
      want |= EPOLLIN;
    if (!write_shut_ && mode_known_ && (mode_ != Request::echo || held() > 0)) want |= EPOLLOUT;
    if (want != interest_) {
      server_.loop_.modify(fd_, want, this);
      interest_ = want;
    }
  }

  void finish() {
    server_.loop_.remove(fd_);
    close(fd_);
    fd_ = -1;
    --server_.open_;
    server_.loop_.retire(this);
  }

  UpstreamServer& server_;
  int fd_;
  uint32_t interest_ = 0;
  bool mode_known_ = false;
  Request mode_ = Request::echo;
  bool peer_eof_ = false;
  bool write_shut_ = false;
  std::string echo_;
  size_t echo_off_ = 0;
  uint64_t dl_sent_ = 0;
};

UpstreamServer::UpstreamServer(Loop& loop, const Pattern& pattern)
    : loop_(loop), pattern_(pattern) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd_, 4096) != 0)
    throw std::runtime_error(std::string("upstream bind/listen: ") + std::strerror(errno));
  socklen_t len = sizeof sa;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  loop_.add(fd_, EPOLLIN, this);
}

UpstreamServer::~UpstreamServer() {
  if (fd_ >= 0) {
    loop_.remove(fd_);
    close(fd_);
  }
}

std::string UpstreamServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void UpstreamServer::on_events(uint32_t /*events*/) {
  for (int i = 0; i < 256; ++i) {
    int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE: try again on the next wake-up
    new ServerConn(*this, fd);
  }
}

// ---- client side ------------------------------------------------------------

Client::Client(Loop& loop, const Pattern& pattern, uint64_t id, int slot, int proxy, Request req,
               uint64_t echo_bytes, uint64_t echo_base, uint32_t seed, ClientDone done)
    : loop_(loop),
      pattern_(pattern),
      id_(id),
      slot_(slot),
      proxy_(proxy),
      req_(req),
      ip_(ip_for(id)),
      rng_(seed | 1),
      done_(std::move(done)),
      echo_bytes_(echo_bytes) {
  verifier_.pattern = &pattern_;
  verifier_.base = req == Request::echo ? echo_base : request_info(req).base;
}

Client::~Client() {
  if (fd_ >= 0) {
    loop_.remove(fd_);
    close(fd_);
  }
}

uint32_t Client::ip_for(uint64_t id) {
  // 127.a.b.c with c in 1..254 and a >= 1: never 127.0.0.x, never .0 or .255.
  uint32_t c = 1 + static_cast<uint32_t>(id % 254);
  uint64_t rest = id / 254;
  uint32_t b = static_cast<uint32_t>(rest % 256);
  uint32_t a = 1 + static_cast<uint32_t>((rest / 256) % 254);
  return (127u << 24) | (a << 16) | (b << 8) | c;
}

std::string Client::ip_string(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

uint64_t Client::expected() const {
  return req_ == Request::echo ? echo_bytes_ : request_info(req_).bytes;
}

void Client::start(const std::string& target) {
  started_ = progress_ = Clock::now();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    finish(End::connect_failed, errno);
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(ip_);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  auto colon = target.rfind(':');
  inet_pton(AF_INET, target.substr(0, colon).c_str(), &remote.sin_addr);
  remote.sin_port = htons(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    finish(End::connect_failed, errno);
    return;
  }
  int rc = connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote);
  if (rc != 0 && errno != EINPROGRESS) {
    finish(End::connect_failed, errno);
    return;
  }
  interest_ = EPOLLOUT;
  loop_.add(fd_, interest_, this);
}

void Client::on_events(uint32_t events) {
  if (finished()) return;  // a stale event of this batch
  if (!connected_) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      finish(End::connect_failed, err);
      return;
    }
    if (!(events & EPOLLOUT)) return;
    on_connected();
    if (finished()) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_some();
  if (!finished() && (events & EPOLLOUT)) write_some();
  if (!finished()) update_interest();
}

void Client::on_connected() {
  connected_ = true;
  progress_ = Clock::now();
  char code = static_cast<char>(req_);
  if (send(fd_, &code, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
    // A brand-new socket always takes one byte; failing means the
    // connection is already gone. Read what there is to learn how.
    read_some();
    if (!finished()) finish(End::error, errno);
    return;
  }
  request_sent_ = true;
  if (req_ != Request::echo || echo_bytes_ == 0) {
    shutdown(fd_, SHUT_WR);
    write_shut_ = true;
  }
}

void Client::read_some() {
  char buf[kReadChunk];
  for (int i = 0; i < kMaxRounds; ++i) {
    ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      verifier_.take(buf, static_cast<size_t>(n));
      progress_ = Clock::now();
    } else if (n == 0) {
      read_eof_ = true;
      // Done reading; an echo client that was cut short stops sending too.
      finish(End::eof, 0);
      return;
    } else if (!transient(errno)) {
      finish(End::error, errno);
      return;
    } else {
      return;
    }
  }
}

void Client::write_some() {
  if (req_ != Request::echo || write_shut_) return;
  for (int i = 0; i < kMaxRounds && sent_ < echo_bytes_; ++i) {
    uint64_t in_flight = sent_ - std::min(sent_, verifier_.got);
    if (in_flight >= kEchoWindow) break;
    // Pieces of varied size, so jinx sees every kind of chunking.
    size_t piece = 1 + rng_() % 32768;
    size_t n = static_cast<size_t>(
        std::min<uint64_t>({piece, echo_bytes_ - sent_, kEchoWindow - in_flight}));
    const char* data = pattern_.span(verifier_.base, sent_, &n);
    ssize_t k = send(fd_, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (k > 0) {
      sent_ += static_cast<uint64_t>(k);
      progress_ = Clock::now();
    } else if (k < 0 && !transient(errno)) {
      // The connection is gone; what is still readable tells how it ended.
      int err = errno;
      read_some();
      if (!finished()) finish(End::error, err);
      return;
    } else {
      break;
    }
  }
  if (sent_ == echo_bytes_) {
    shutdown(fd_, SHUT_WR);
    write_shut_ = true;
  }
}

void Client::update_interest() {
  uint32_t want = EPOLLIN;
  bool can_send = req_ == Request::echo && !write_shut_ && sent_ < echo_bytes_ &&
                  sent_ - std::min(sent_, verifier_.got) < kEchoWindow;
  if (can_send) want |= EPOLLOUT;
  if (want != interest_) {
    loop_.modify(fd_, want, this);
    interest_ = want;
  }
}

void Client::abandon() {
  if (!finished()) finish(End::stuck, 0);
}

void Client::finish(End end, int error) {
  end_ = end;
  error_ = error;
  if (fd_ >= 0) {
    loop_.remove(fd_);
    close(fd_);
    fd_ = -1;
  }
  done_(*this);
}

std::string Client::describe() const {
  std::ostringstream s;
  s << "client " << id_ << " (" << ip_string(ip_) << ", proxy p" << proxy_ << ", "
    << request_info(req_).name << ") conn " << conn << ": expected " << expected()
    << " bytes, received " << verifier_.got << ", sent " << sent_ << ", ended " << end_name(end_);
  if (error_) s << " (" << std::strerror(error_) << ")";
  if (verifier_.diff_bytes)
    s << ", " << verifier_.diff_bytes << " bytes differ (first at " << verifier_.first_diff
      << ", up to " << verifier_.max_flipped_bits << " bits)";
  if (close_seen) {
    s << "; jinx: " << close_reason << ", bytes_up " << jinx_bytes_up << ", bytes_down "
      << jinx_bytes_down << ", toxics [";
    for (size_t i = 0; i < close_toxics.size(); ++i) s << (i ? ", " : "") << close_toxics[i];
    s << "]";
  }
  return s.str();
}

}  // namespace soak
