#include "event_output.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace jinx {
namespace {

// A burst bigger than this is written at once rather than at the next flush.
constexpr size_t kEagerWrite = 64 * 1024;

// A fresh non-blocking description of `fd` when it is a pipe or a terminal,
// else -1 (see the header).
int reopen_non_blocking(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return -1;
  bool pipe = S_ISFIFO(st.st_mode);
  bool terminal = S_ISCHR(st.st_mode) && isatty(fd) != 0;
  if (!pipe && !terminal) return -1;
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  // A pipe whose reader already left gives ENXIO: written directly, the
  // first write then fails with EPIPE, which is what we want to hear.
  return open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

}  // namespace

uint64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

EventOutput::EventOutput(int fd, size_t limit)
    : fd_(fd), own_fd_(reopen_non_blocking(fd)), limit_(limit) {}

EventOutput::~EventOutput() {
  if (own_fd_ >= 0) close(own_fd_);
}

void EventOutput::start(uv_loop_t* loop, EventOutputOwner* owner) {
  owner_ = owner;
  if (own_fd_ < 0) return;
  if (uv_poll_init(loop, &poll_, own_fd_) != 0) {
    // Not pollable after all: write directly.
    close(own_fd_);
    own_fd_ = -1;
    return;
  }
  poll_.data = this;
  polling_ = true;
  watch();
}

void EventOutput::add_line(std::string_view line) {
  if (error_ != 0) return;  // nobody is reading; the owner has been told
  size_t queued = queue_.size() - sent_;
  if (queued + line.size() > limit_) {
    ++dropped_total_;
    ++dropped_unreported_;
    return;
  }
  queue_.append(line);
  if (queued + line.size() > kEagerWrite && (watched_ & UV_WRITABLE) == 0) write_now();
}

void EventOutput::flush() {
  // While the poll waits for the reader, writing again would only hear EAGAIN.
  if (error_ == 0 && (watched_ & UV_WRITABLE) == 0) write_now();
  watch();
  report();
}

void EventOutput::write_now() {
  int fd = own_fd_ >= 0 ? own_fd_ : fd_;
  while (sent_ < queue_.size() && error_ == 0) {
    ssize_t n = write(fd, queue_.data() + sent_, queue_.size() - sent_);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      error_ = n < 0 ? -errno : UV_EIO;
    }
  }
  if (error_ != 0 || sent_ == queue_.size()) {
    queue_.clear();
    sent_ = 0;
  } else if (sent_ > queue_.size() / 2) {
    queue_.erase(0, sent_);
    sent_ = 0;
  }
}

// Watches for room to write while lines wait, and always for the reader's
// departure (the write end of a pipe reports an error when it happens).
void EventOutput::watch() {
  if (!polling_ || uv_is_closing(reinterpret_cast<uv_handle_t*>(&poll_)) != 0) return;
  int wanted = error_ != 0 ? 0 : UV_DISCONNECT | (pending() ? UV_WRITABLE : 0);
  if (wanted == watched_) return;
  watched_ = wanted;
  if (wanted == 0) {
    uv_poll_stop(&poll_);
    return;
  }
  uv_poll_start(&poll_, wanted, [](uv_poll_t* p, int status, int /*events*/) {
    static_cast<EventOutput*>(p->data)->on_poll(status);
  });
}

void EventOutput::on_poll(int status) {
  if (status < 0) {
    // libuv stopped the watcher on POLLERR: the reader is gone. Writing what
    // waits tells the exact error; with nothing to write it is EPIPE.
    watched_ = 0;
    write_now();
    if (error_ == 0) error_ = UV_EPIPE;
  } else {
    write_now();
  }
  watch();
  report();
}

void EventOutput::report() {
  if (owner_ == nullptr) return;
  if (error_ != 0) {
    if (!error_reported_) {
      error_reported_ = true;
      owner_->output_failed(error_);
    }
    return;
  }
  if (dropped_unreported_ > 0 && queue_.size() - sent_ < limit_ / 2) {
    uint64_t n = dropped_unreported_;
    dropped_unreported_ = 0;
    owner_->output_dropped(n);
  }
}

bool EventOutput::drain(uint64_t deadline_ms, int interrupt_fd) {
  int fd = own_fd_ >= 0 ? own_fd_ : fd_;
  for (;;) {
    write_now();
    if (!pending() || error_ != 0) return error_ == 0;
    uint64_t now = monotonic_ms();
    if (now >= deadline_ms) return false;
    pollfd fds[2] = {{fd, POLLOUT, 0}, {interrupt_fd, POLLIN, 0}};
    int rc = poll(fds, interrupt_fd >= 0 ? 2 : 1, static_cast<int>(deadline_ms - now));
    if (rc > 0 && (fds[1].revents & POLLIN) != 0) return false;
  }
}

}  // namespace jinx
