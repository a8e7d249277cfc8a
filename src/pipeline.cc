#include "pipeline.h"

#include <algorithm>

namespace jinx {

// The StageIo a stage at `position` sees: emit() feeds the next position.
class Pipeline::SlotIo final : public StageIo {
 public:
  SlotIo(Pipeline& p, size_t position) : p_(p), position_(position) {}
  Micros now() const override { return p_.owner_.now(); }
  void emit(Chunk&& chunk) override { p_.push_from(position_ + 1, std::move(chunk)); }
  void discard(size_t bytes) override { p_.owner_.discarded(bytes); }
  void act(ToxicAction action) override {
    p_.owner_.toxic_action(action, p_.slots_[position_].toxic);
  }

 private:
  Pipeline& p_;
  size_t position_;
};

// The head's StageIo: emit() feeds the first toxic's stage. The head is no
// toxic's, so it acts on the connection through its own owner, not act().
class Pipeline::HeadIo final : public StageIo {
 public:
  explicit HeadIo(Pipeline& p) : p_(p) {}
  Micros now() const override { return p_.owner_.now(); }
  void emit(Chunk&& chunk) override { p_.push_from(0, std::move(chunk)); }
  void discard(size_t bytes) override { p_.owner_.discarded(bytes); }
  void act(ToxicAction /*action*/) override {}
  void injected(size_t bytes) override { p_.owner_.injected(bytes); }

 private:
  Pipeline& p_;
};

bool Pipeline::transparent() const {
  if (head_ != nullptr && !head_->transparent()) return false;
  for (const auto& slot : slots_) {
    if (!slot.stage->transparent()) return false;
  }
  return true;
}

bool Pipeline::has(ToxicIndex toxic) const {
  return position_of(toxic) != slots_.size();
}

size_t Pipeline::position_of(ToxicIndex toxic) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].toxic == toxic) return i;
  }
  return slots_.size();
}

void Pipeline::push(Chunk&& chunk) {
  if (head_ != nullptr) {
    HeadIo io(*this);
    head_->push(std::move(chunk), io);
    return;
  }
  push_from(0, std::move(chunk));
}

void Pipeline::push_from(size_t position, Chunk&& chunk) {
  if (position >= slots_.size()) {
    owner_.deliver(std::move(chunk));
    return;
  }
  SlotIo io(*this, position);
  slots_[position].stage->push(std::move(chunk), io);
}

void Pipeline::add(ToxicIndex toxic, size_t order, std::unique_ptr<Stage> stage) {
  auto it =
      std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.order > order; });
  size_t position = static_cast<size_t>(it - slots_.begin());
  slots_.insert(it, Slot{toxic, order, std::move(stage)});
  SlotIo io(*this, position);
  slots_[position].stage->activate(io);
}

void Pipeline::remove(ToxicIndex toxic) {
  size_t position = position_of(toxic);
  if (position == slots_.size()) return;
  SlotIo io(*this, position);
  slots_[position].stage->flush(io);
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(position));
}

void Pipeline::flush_all() {
  // First to last: what a stage hands on lands in the stages after it, which
  // are flushed in their turn. The head hands on what it holds and stays.
  if (head_ != nullptr) {
    HeadIo io(*this);
    head_->flush(io);
  }
  while (!slots_.empty()) remove(slots_.front().toxic);
}

void Pipeline::update(ToxicIndex toxic, const std::vector<double>& attrs) {
  size_t position = position_of(toxic);
  if (position != slots_.size()) slots_[position].stage->update(attrs);
}

void Pipeline::run_timers() {
  Micros now = owner_.now();
  if (head_ != nullptr && head_->wakeup() <= now) {
    HeadIo io(*this);
    head_->on_timer(io);
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].stage->wakeup() <= now) {
      SlotIo io(*this, i);
      slots_[i].stage->on_timer(io);
    }
  }
}

Micros Pipeline::next_wakeup() const {
  Micros next = head_ != nullptr ? head_->wakeup() : kNever;
  for (const auto& slot : slots_) next = std::min(next, slot.stage->wakeup());
  return next;
}

}  // namespace jinx
