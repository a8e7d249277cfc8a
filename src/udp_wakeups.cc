#include "udp_wakeups.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "stage.h"
#include "udp_flow.h"

namespace jinx {

struct UdpWakeups::Handle {
  uv_poll_t poll;
  int fd;
  UdpWakeups* owner;
};

UdpWakeups::UdpWakeups(uv_loop_t* loop) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return;  // set() then does nothing: flows fall back on their own timer
  handle_ = new Handle{{}, fd, this};
  uv_poll_init(loop, &handle_->poll, fd);
  handle_->poll.data = handle_;
  uv_poll_start(&handle_->poll, UV_READABLE, [](uv_poll_t* p, int /*status*/, int /*events*/) {
    auto* h = static_cast<Handle*>(p->data);
    uint64_t expirations = 0;
    (void)!read(h->fd, &expirations, sizeof expirations);
    h->owner->on_fire();
  });
}

bool UdpWakeups::available() const {
  return handle_ != nullptr;
}

void UdpWakeups::close() {
  due_.clear();
  if (handle_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), [](uv_handle_t* h) {
    auto* handle = static_cast<Handle*>(h->data);
    ::close(handle->fd);
    delete handle;
  });
  handle_ = nullptr;
}

void UdpWakeups::set(UdpFlow* flow, Micros old_wake, Micros wake) {
  if (handle_ == nullptr || old_wake == wake) return;
  Micros first = due_.empty() ? kNever : due_.begin()->first;
  if (old_wake != kNever) due_.erase({old_wake, flow});
  if (wake != kNever) due_.insert({wake, flow});
  Micros now_first = due_.empty() ? kNever : due_.begin()->first;
  if (now_first != first) arm();
}

void UdpWakeups::arm() {
  itimerspec spec{};
  if (!due_.empty()) {
    // 0 would disarm: the earliest possible time is 1 ns.
    Micros wake = std::max<Micros>(due_.begin()->first, 1);
    spec.it_value.tv_sec = wake / kMicrosPerSecond;
    spec.it_value.tv_nsec = (wake % kMicrosPerSecond) * 1000;
  }
  timerfd_settime(handle_->fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void UdpWakeups::on_fire() {
  // Taken out first: a flow's on_stage_timer() sets its next wake-up here.
  Micros now = static_cast<Micros>(uv_hrtime() / 1000);
  std::vector<UdpFlow*> ready;
  while (!due_.empty() && due_.begin()->first <= now) {
    ready.push_back(due_.begin()->second);
    due_.erase(due_.begin());
  }
  for (UdpFlow* flow : ready) flow->on_stage_timer();
  if (handle_ != nullptr) arm();
}

}  // namespace jinx
