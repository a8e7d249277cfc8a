#include "datagram_pipeline.h"

#include <algorithm>

namespace jinx {

class DatagramPipeline::SlotIo final : public DatagramIo {
 public:
  SlotIo(DatagramPipeline& pipeline, size_t position) : p_(pipeline), position_(position) {}
  Micros now() const override { return p_.owner_.now(); }
  void emit(Datagram&& datagram) override { p_.pass_from(position_ + 1, std::move(datagram)); }
  void count(DatagramFate fate, size_t bytes) override {
    if (fate == DatagramFate::dropped) p_.held_ -= std::min<uint64_t>(bytes, p_.held_);
    if (fate == DatagramFate::duplicated) p_.held_ += bytes;
    p_.owner_.counted(p_.slots_[position_].toxic, fate);
  }

 private:
  DatagramPipeline& p_;
  size_t position_;
};

bool DatagramPipeline::has(ToxicIndex toxic) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.toxic == toxic; });
}

void DatagramPipeline::push(Datagram&& datagram) {
  if (slots_.empty()) {
    owner_.deliver(std::move(datagram));
    return;
  }
  if (held_ + datagram.size() > buffer_) {
    owner_.overflowed(datagram.size());
    return;
  }
  held_ += datagram.size();
  pass_from(0, std::move(datagram));
}

void DatagramPipeline::pass_from(size_t position, Datagram&& datagram) {
  if (position >= slots_.size()) {
    held_ -= std::min<uint64_t>(datagram.size(), held_);
    owner_.deliver(std::move(datagram));
    return;
  }
  SlotIo io(*this, position);
  slots_[position].stage->push(std::move(datagram), io);
}

void DatagramPipeline::add(ToxicIndex toxic, size_t order, std::unique_ptr<DatagramStage> stage) {
  auto at =
      std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.order > order; });
  slots_.insert(at, Slot{toxic, order, std::move(stage)});
}

void DatagramPipeline::remove(ToxicIndex toxic) {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].toxic != toxic) continue;
    SlotIo io(*this, i);
    slots_[i].stage->flush(io);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
}

void DatagramPipeline::update(ToxicIndex toxic, const std::vector<double>& attrs) {
  for (auto& slot : slots_) {
    if (slot.toxic == toxic) slot.stage->update(attrs);
  }
}

void DatagramPipeline::run_timers() {
  Micros now = owner_.now();
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].stage->wakeup() > now) continue;
    SlotIo io(*this, i);
    slots_[i].stage->on_timer(io);
  }
}

Micros DatagramPipeline::next_wakeup() const {
  Micros next = kNever;
  for (const auto& slot : slots_) next = std::min(next, slot.stage->wakeup());
  return next;
}

}  // namespace jinx
