#include "match_gate.h"

namespace jinx {

// What the inner stage sees: the gate's own io, counting what leaves the stage.
class MatchGate::InnerIo final : public StageIo {
 public:
  InnerIo(MatchGate& gate, StageIo& outer) : gate_(gate), outer_(outer) {}
  Micros now() const override { return outer_.now(); }
  void emit(Chunk&& chunk) override {
    gate_.left(chunk.size());
    outer_.emit(std::move(chunk));
  }
  void discard(size_t bytes) override {
    gate_.left(bytes);
    outer_.discard(bytes);
  }
  void act(ToxicAction action) override { outer_.act(action); }
  void injected(size_t bytes) override { outer_.injected(bytes); }

 private:
  MatchGate& gate_;
  StageIo& outer_;
};

void MatchGate::left(size_t bytes) {
  held_ -= bytes < held_ ? bytes : held_;
}

void MatchGate::push(Chunk&& chunk, StageIo& io) {
  waiting_.push_back(std::move(chunk));
  drain(io);
}

void MatchGate::enter(Chunk&& chunk, StageIo& io) {
  InnerIo inner_io(*this, io);
  if (!active_) {
    active_ = true;
    inner_->activate(inner_io);
  }
  held_ += chunk.size();
  inner_->push(std::move(chunk), inner_io);
}

void MatchGate::drain(StageIo& io) {
  while (!waiting_.empty()) {
    bool in = picked(waiting_.front());
    if (!in && held_ > 0) return;
    Chunk chunk = std::move(waiting_.front());
    waiting_.pop_front();
    if (in) {
      enter(std::move(chunk), io);
    } else {
      io.emit(std::move(chunk));
    }
  }
}

void MatchGate::on_timer(StageIo& io) {
  InnerIo inner_io(*this, io);
  inner_->on_timer(inner_io);
  drain(io);
}

void MatchGate::flush(StageIo& io) {
  if (active_) {
    InnerIo inner_io(*this, io);
    inner_->flush(inner_io);
  }
  held_ = 0;
  // The window is over: what waited passes, picked or not.
  while (!waiting_.empty()) {
    io.emit(std::move(waiting_.front()));
    waiting_.pop_front();
  }
}

}  // namespace jinx
