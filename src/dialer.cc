#include "dialer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "address.h"

namespace jinx {

// One connect in flight: the socket and the poll handle watching it.
struct Dialer::Attempt {
  uv_poll_t poll;
  Dialer* owner;
  int fd;
  std::string address;  // for messages
};

Dialer::Dialer(uv_loop_t* loop, uv_tcp_t* target, Done done, std::string name)
    : loop_(loop), target_(target), done_(std::move(done)), name_(std::move(name)) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

Dialer* Dialer::start(uv_loop_t* loop, Resolver& resolver, const std::string& host, uint16_t port,
                      uint64_t timeout_ms, uv_tcp_t* target, Done done) {
  auto* self = new Dialer(loop, target, std::move(done), join_host_port(host, port));
  self->deadline_ = uv_now(loop) + timeout_ms;
  self->lookup_ = resolver.resolve(
      host, port, [self, host](std::vector<SocketAddress> addresses, std::string error) {
        self->lookup_ = nullptr;
        if (!error.empty()) {
          self->finish("cannot resolve " + host + ": " + error);
          return;
        }
        self->on_resolved(std::move(addresses), error);
      });
  return self;
}

Dialer* Dialer::watch(uv_loop_t* loop, int fd, const std::string& name, uv_tcp_t* target,
                      Done done) {
  auto* self = new Dialer(loop, target, std::move(done), name);
  self->watch_attempt(fd, name);
  return self;
}

uint64_t Dialer::attempt_timeout_ms(uint64_t remaining_ms, size_t addresses_left) {
  constexpr uint64_t kSaneMinimum = 2000;
  uint64_t share = remaining_ms / std::max<size_t>(addresses_left, 1);
  if (share < kSaneMinimum) share = std::min(remaining_ms, kSaneMinimum);
  return share;
}

void Dialer::on_resolved(std::vector<SocketAddress> addresses, const std::string& /*error*/) {
  addresses_ = std::move(addresses);
  try_next();
}

void Dialer::try_next() {
  while (next_ < addresses_.size()) {
    const SocketAddress& address = addresses_[next_++];
    if (start_attempt(address)) return;
  }
  std::string why;
  for (const std::string& f : failures_) why += (why.empty() ? "" : "; ") + f;
  finish("cannot connect to " + name_ + ": " + (why.empty() ? "no address" : why));
}

bool Dialer::start_attempt(const SocketAddress& address) {
  std::string text = format_sockaddr(address.get());
  int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failures_.push_back(text + ": " + uv_strerror(uv_translate_sys_error(errno)));
    return false;
  }
  if (connect(fd, address.get(), address.length) != 0 && errno != EINPROGRESS) {
    failures_.push_back(text + ": " + uv_strerror(uv_translate_sys_error(errno)));
    ::close(fd);
    return false;
  }
  watch_attempt(fd, std::move(text));
  uint64_t now = uv_now(loop_);
  uint64_t remaining = deadline_ > now ? deadline_ - now : 0;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Dialer*>(t->data)->on_attempt_timeout(); },
      attempt_timeout_ms(remaining, addresses_.size() - next_ + 1), 0);
  return true;
}

void Dialer::watch_attempt(int fd, std::string address) {
  // Writable once connected or failed (SO_ERROR tells which).
  attempt_ = new Attempt{{}, this, fd, std::move(address)};
  uv_poll_init_socket(loop_, &attempt_->poll, fd);
  attempt_->poll.data = attempt_;
  uv_poll_start(&attempt_->poll, UV_WRITABLE, [](uv_poll_t* p, int status, int /*events*/) {
    static_cast<Attempt*>(p->data)->owner->on_attempt_ready(status);
  });
}

void Dialer::on_attempt_ready(int status) {
  std::string address = attempt_->address;
  // The socket's own error first: libuv reports the POLLERR of a refused
  // connect as UV_EBADF.
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (getsockopt(attempt_->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
  int err = so_error != 0 ? uv_translate_sys_error(so_error) : status < 0 ? status : 0;
  if (err == 0) {
    // Stop watching before the socket changes hands: libuv refuses an fd it
    // still watches.
    int fd = attempt_->fd;
    attempt_->fd = -1;
    abandon_attempt();
    err = uv_tcp_open(target_, fd);
    if (err == 0) {
      finish({});
      return;
    }
    ::close(fd);
  } else {
    abandon_attempt();
  }
  if (addresses_.empty()) {  // watch(): one socket, no other address to try
    finish("cannot connect to " + name_ + ": " + uv_strerror(err));
    return;
  }
  failures_.push_back(address + ": " + uv_strerror(err));
  uv_timer_stop(&timer_);
  try_next();
}

void Dialer::on_attempt_timeout() {
  std::string address = attempt_->address;
  abandon_attempt();
  failures_.push_back(address + ": timed out");
  try_next();
}

void Dialer::abandon_attempt() {
  if (attempt_ == nullptr) return;
  // uv_close stops the poll at once, so the socket may be closed right after.
  uv_close(reinterpret_cast<uv_handle_t*>(&attempt_->poll), [](uv_handle_t* h) {
    auto* attempt = static_cast<Attempt*>(h->data);
    delete attempt;
  });
  if (attempt_->fd >= 0) ::close(attempt_->fd);
  attempt_->fd = -1;
  attempt_ = nullptr;
}

void Dialer::finish(const std::string& error) {
  Done done = std::move(done_);
  stop();
  if (done) done(error);
}

void Dialer::cancel() {
  done_ = nullptr;
  stop();
}

void Dialer::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (lookup_ != nullptr) Resolver::cancel(lookup_);
  lookup_ = nullptr;
  abandon_attempt();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { delete static_cast<Dialer*>(h->data); });
}

}  // namespace jinx
