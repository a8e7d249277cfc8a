#include "loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace soak {

Loop::Loop() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epfd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

Loop::~Loop() {
  for (Pollable* p : retired_) delete p;
  close(epfd_);
}

void Loop::add(int fd, uint32_t events, Pollable* p) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = p;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::runtime_error(std::string("epoll_ctl ADD: ") + std::strerror(errno));
}

void Loop::modify(int fd, uint32_t events, Pollable* p) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = p;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
}

void Loop::remove(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void Loop::retire(Pollable* p) {
  if (p->dead_) return;
  p->dead_ = true;
  retired_.push_back(p);
}

void Loop::at(Clock::time_point when, std::function<void()> fn) {
  timers_.emplace(when, std::move(fn));
}

void Loop::run_once(ms max_wait) {
  auto now = Clock::now();
  auto wait = max_wait;
  if (!timers_.empty()) {
    auto due = std::chrono::ceil<ms>(timers_.begin()->first - now);
    wait = std::clamp(due, ms(0), max_wait);
  }
  epoll_event events[512];
  int n = epoll_wait(epfd_, events, 512, static_cast<int>(wait.count()));
  for (int i = 0; i < n; ++i) {
    auto* p = static_cast<Pollable*>(events[i].data.ptr);
    if (!p->dead_) p->on_events(events[i].events);
  }
  now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto fn = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    fn();
  }
  for (Pollable* p : retired_) delete p;
  retired_.clear();
}

}  // namespace soak
