// One epoll loop runs the whole soak on a single thread: the client
// connections, the upstream servers and the reading of jinx's events. Nothing
// is shared between threads, so nothing is locked.
//
// Objects registered with the loop derive from Pollable. An object that is
// done is retire()d: it is marked dead at once (stale events of the current
// batch are ignored) and deleted after the batch, so a callback never runs
// on freed memory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "clock.h"

namespace soak {

using jinx_test::Clock;
using jinx_test::ms;

class Pollable {
 public:
  virtual ~Pollable() = default;
  virtual void on_events(uint32_t events) = 0;
  bool dead() const { return dead_; }

 private:
  friend class Loop;
  bool dead_ = false;
};

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void add(int fd, uint32_t events, Pollable* p);
  void modify(int fd, uint32_t events, Pollable* p);
  void remove(int fd);
  // Deletes p after the current batch of events (p must be heap-allocated
  // and no longer registered).
  void retire(Pollable* p);

  // Runs `fn` once, no earlier than `at`.
  void at(Clock::time_point at, std::function<void()> fn);

  // Waits for events (at most max_wait, less if a timer is due), dispatches
  // them, runs due timers, and frees what was retired.
  void run_once(ms max_wait);

 private:
  int epfd_ = -1;
  std::vector<Pollable*> retired_;
  std::multimap<Clock::time_point, std::function<void()>> timers_;
};

}  // namespace soak
