#include "loop_timers.h"

#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jinx {

LoopTimers::~LoopTimers() {
  if (fd_ >= 0) ::close(fd_);
}

bool LoopTimers::open(uv_loop_t* loop, std::string* err) {
  // The kernel lets a thread's timers expire up to its "timer slack" late
  // (50 us by default) to batch wake-ups; the loop's thread asks for none,
  // or a 100 us latency would come 50 us late.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) {
    *err = std::string("cannot create a timerfd: ") + std::strerror(errno);
    return false;
  }
  int rc = uv_poll_init(loop, &poll_, fd_);
  if (rc == 0) {
    poll_.data = this;
    rc = uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* p, int /*status*/, int /*events*/) {
      static_cast<LoopTimers*>(p->data)->on_expired();
    });
  }
  if (rc != 0) {
    *err = std::string("cannot watch the timerfd: ") + uv_strerror(rc);
    return false;
  }
  return true;
}

void LoopTimers::close() {
  auto* handle = reinterpret_cast<uv_handle_t*>(&poll_);
  if (handle->loop != nullptr && uv_is_closing(handle) == 0) uv_close(handle, nullptr);
}

void LoopTimers::start(MicroTimer& timer, Micros deadline) {
  heap_.start(timer, deadline);
  if (!running_) arm_earliest();
}

void LoopTimers::arm_earliest() {
  Micros next = heap_.next_deadline();
  if (next >= set_for_ || fd_ < 0) return;
  itimerspec spec{};
  // 0 would disarm the timerfd; a deadline in the past expires at once.
  Micros at = next > 0 ? next : 1;
  spec.it_value.tv_sec = static_cast<time_t>(at / kMicrosPerSecond);
  spec.it_value.tv_nsec = static_cast<long>(at % kMicrosPerSecond) * 1000;
  if (timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr) == 0) set_for_ = next;
}

void LoopTimers::on_expired() {
  uint64_t expirations = 0;
  // Clears the readable state; EAGAIN when it was set again meanwhile.
  [[maybe_unused]] ssize_t n = read(fd_, &expirations, sizeof expirations);
  set_for_ = TimerHeap::kNoDeadline;
  running_ = true;
  heap_.run_due(loop_clock_now());
  running_ = false;
  arm_earliest();
}

}  // namespace jinx
