#include "signal_watcher.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

namespace jinx {
namespace {

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher() {
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) std::perror("jinx: signalfd");
}

SignalWatcher::~SignalWatcher() {
  // The signals stay blocked: one pending now must not kill us on the way out.
  if (fd_ >= 0) close(fd_);
}

void SignalWatcher::start(uv_loop_t* loop, std::function<void(int)> on_signal) {
  on_signal_ = std::move(on_signal);
  if (fd_ < 0) return;
  uv_poll_init(loop, &poll_, fd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* p, int status, int /*events*/) {
    auto* self = static_cast<SignalWatcher*>(p->data);
    if (status < 0) return;
    while (int signum = self->take()) self->on_signal_(signum);
  });
}

int SignalWatcher::take() {
  if (fd_ < 0) return 0;
  signalfd_siginfo info{};
  ssize_t n;
  do {
    n = read(fd_, &info, sizeof info);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof info) ? static_cast<int>(info.ssi_signo) : 0;
}

}  // namespace jinx
