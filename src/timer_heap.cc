#include "timer_heap.h"

#include <utility>

namespace jinx {

TimerHeap::~TimerHeap() {
  for (MicroTimer* t : heap_) {
    t->heap_ = nullptr;
    t->slot_ = MicroTimer::kNoSlot;
  }
}

void TimerHeap::start(MicroTimer& timer, Micros deadline) {
  if (timer.heap_ != nullptr && timer.heap_ != this) timer.stop();
  timer.deadline_ = deadline;
  timer.order_ = next_order_++;
  if (timer.heap_ == this) {
    // Moved: it may have to go either way.
    size_t slot = timer.slot_;
    sift_up(slot);
    sift_down(timer.slot_);
    return;
  }
  timer.heap_ = this;
  heap_.push_back(&timer);
  timer.slot_ = static_cast<uint32_t>(heap_.size() - 1);
  sift_up(timer.slot_);
}

void TimerHeap::stop(MicroTimer& timer) {
  if (timer.heap_ != this) return;
  remove_at(timer.slot_);
}

size_t TimerHeap::run_due(Micros now) {
  const uint64_t started_before = next_order_;
  size_t fired = 0;
  while (!heap_.empty()) {
    MicroTimer* t = heap_.front();
    if (t->deadline_ > now || t->order_ >= started_before) break;
    remove_at(0);
    ++fired;
    t->fire_(*t);  // may start or destroy t, or any other timer
  }
  return fired;
}

void TimerHeap::place(MicroTimer* timer, size_t slot) {
  heap_[slot] = timer;
  timer->slot_ = static_cast<uint32_t>(slot);
}

void TimerHeap::sift_up(size_t slot) {
  MicroTimer* t = heap_[slot];
  while (slot > 0) {
    size_t parent = (slot - 1) / 2;
    if (!before(t, heap_[parent])) break;
    place(heap_[parent], slot);
    slot = parent;
  }
  place(t, slot);
}

void TimerHeap::sift_down(size_t slot) {
  MicroTimer* t = heap_[slot];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * slot + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], t)) break;
    place(heap_[child], slot);
    slot = child;
  }
  place(t, slot);
}

void TimerHeap::remove_at(size_t slot) {
  MicroTimer* gone = heap_[slot];
  gone->heap_ = nullptr;
  gone->slot_ = MicroTimer::kNoSlot;
  MicroTimer* last = heap_.back();
  heap_.pop_back();
  if (last == gone) return;
  place(last, slot);
  sift_up(slot);
  sift_down(last->slot_);
}

}  // namespace jinx
