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

std::unique_ptr<jinx_test::EpollServer> start_upstream(const Pattern& pattern) {
  return std::make_unique<jinx_test::EpollServer>([&pattern](unsigned char first) {
    const RequestInfo& info = request_info(decode_request(first));
    jinx_test::Service s;
    s.first_byte_is_data = false;  // the request code
    if (info.code == Request::echo) return s;
    s.mode = jinx_test::ServeMode::source;
    s.bytes = info.bytes;
    s.data = [&pattern, base = info.base](uint64_t pos, size_t* n) {
      return pattern.span(base, pos, n);
    };
    return s;
  });
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
