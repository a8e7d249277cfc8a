// Wake-ups at microsecond deadlines: a MicroTimer is embedded by value in
// whatever it wakes (a relay direction, a connection), and a TimerHeap keeps
// the armed ones in deadline order.
//
// The heap is pure data: it knows no loop and no clock. run_due(now) fires
// what is due at the `now` it is given, so unit tests drive it with a fake
// clock; on the loop, LoopTimers (loop_timers.h) gives it one timerfd.
//
// Starting and stopping a timer costs no allocation and no system call: the
// heap is a vector of pointers, and each timer knows its slot in it, so a
// timer moves or leaves in O(log n). A timer that is destroyed leaves the
// heap on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "units.h"

namespace jinx {

class TimerHeap;

class MicroTimer {
 public:
  using Fire = void (*)(MicroTimer& timer);

  // `fire` runs when the deadline has come; `owner` is for it to find its
  // object again (owner()).
  MicroTimer(Fire fire, void* owner) : fire_(fire), owner_(owner) {}
  MicroTimer(const MicroTimer&) = delete;
  MicroTimer& operator=(const MicroTimer&) = delete;
  ~MicroTimer() { stop(); }

  bool armed() const { return heap_ != nullptr; }
  Micros deadline() const { return deadline_; }
  void* owner() const { return owner_; }
  // Leaves the heap, if in one. Safe to call at any time.
  void stop();

 private:
  friend class TimerHeap;
  static constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

  Fire fire_;
  void* owner_;
  TimerHeap* heap_ = nullptr;
  Micros deadline_ = 0;
  uint64_t order_ = 0;  // ties in deadline fire in the order started
  uint32_t slot_ = kNoSlot;
};

class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;
  ~TimerHeap();

  // Arms `timer` for `deadline`, moving it if it was armed already.
  void start(MicroTimer& timer, Micros deadline);
  void stop(MicroTimer& timer);
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // The earliest deadline, or kNoDeadline.
  Micros next_deadline() const { return heap_.empty() ? kNoDeadline : heap_.front()->deadline_; }
  // Fires, earliest first, every timer due at `now` that was armed before
  // this call; each is disarmed before it fires and may start itself again.
  // A timer started during the call waits for the next call, so a callback
  // that re-arms in the past cannot keep this one running. Returns how
  // many fired.
  size_t run_due(Micros now);

  static constexpr Micros kNoDeadline = std::numeric_limits<Micros>::max();

 private:
  bool before(const MicroTimer* a, const MicroTimer* b) const {
    return a->deadline_ != b->deadline_ ? a->deadline_ < b->deadline_ : a->order_ < b->order_;
  }
  void place(MicroTimer* timer, size_t slot);
  void sift_up(size_t slot);
  void sift_down(size_t slot);
  void remove_at(size_t slot);

  std::vector<MicroTimer*> heap_;
  uint64_t next_order_ = 0;
};

inline void MicroTimer::stop() {
  if (heap_ != nullptr) heap_->stop(*this);
}

}  // namespace jinx
