// A byte-level toxic with `match`, `first` or `nth` on an HTTP proxy (SPEC 11)
// acts only on the bytes of the exchanges it picked.
//
// The HTTP layer picks per request (http_layer.cc) and stamps each chunk it
// hands on with one bit per such toxic (Chunk::picks). The toxic's stage sits
// in a MatchGate: picked chunks enter the stage, the others pass it. One TCP
// stream cannot be reordered, so a chunk that passes waits behind what the
// stage still holds, and chunks after it wait behind it.
//
// The stage becomes active with the first chunk it takes: a `timeout`,
// `reset_peer` or `limit_data` counts from the first request it picked on the
// connection, not from the window's start.
#pragma once

#include <deque>
#include <memory>

#include "stage.h"

namespace jinx {

class MatchGate final : public Stage {
 public:
  MatchGate(std::unique_ptr<Stage> inner, unsigned bit) : inner_(std::move(inner)), bit_(bit) {}

  void push(Chunk&& chunk, StageIo& io) override;
  Micros wakeup() const override { return active_ ? inner_->wakeup() : kNever; }
  void on_timer(StageIo& io) override;
  void flush(StageIo& io) override;
  void update(const std::vector<double>& attrs) override { inner_->update(attrs); }
  // Nothing held and nothing waiting: a chunk that reaches the gate while the
  // pipeline bypasses its stages is no request's (the connection's HTTP layer
  // has gone plain), so it would pass.
  bool transparent() const override { return held_ == 0 && waiting_.empty(); }

 private:
  class InnerIo;
  bool picked(const Chunk& chunk) const { return ((chunk.picks() >> bit_) & 1U) != 0; }
  void left(size_t bytes);  // the stage emitted or discarded bytes
  // Moves waiting chunks on, in order, as far as the stage lets them.
  void drain(StageIo& io);
  void enter(Chunk&& chunk, StageIo& io);

  std::unique_ptr<Stage> inner_;
  unsigned bit_;
  bool active_ = false;
  size_t held_ = 0;  // bytes the stage took and has not yet emitted or discarded
  std::deque<Chunk> waiting_;
};

}  // namespace jinx
