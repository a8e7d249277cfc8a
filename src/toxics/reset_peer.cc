// reset_peer: `timeout` after the toxic became active on a connection, both
// sides are reset with a TCP RST. Data flows untouched until then.
#include "toxics/factory.h"

namespace jinx {
namespace {

class ResetPeerStage final : public Stage {
 public:
  explicit ResetPeerStage(const StageParams& p)
      : timeout_(static_cast<Micros>(p.attrs[0] * kMicrosPerMs)) {}
  void activate(StageIo& io) override {
    if (timeout_ <= 0) {
      io.act(ToxicAction::reset);
    } else {
      deadline_ = io.now() + timeout_;
    }
  }
  void push(Chunk&& chunk, StageIo& io) override { io.emit(std::move(chunk)); }
  Micros wakeup() const override { return deadline_; }
  void on_timer(StageIo& io) override {
    deadline_ = kNever;
    io.act(ToxicAction::reset);
  }

 private:
  Micros timeout_;
  Micros deadline_ = kNever;
};

}  // namespace

std::unique_ptr<Stage> make_reset_peer(const StageParams& p) {
  return std::make_unique<ResetPeerStage>(p);
}

}  // namespace jinx
