// reset_peer: `timeout` after the toxic became active on a connection, both
// sides are reset with a TCP RST. Data flows untouched until then.
#include "toxics/factory.h"

namespace jinx {

const ToxicType& reset_peer_toxic();

namespace {

class ResetPeerStage final : public Stage {
 public:
  explicit ResetPeerStage(const StageParams& p) : timeout_(p.settings().duration("timeout")) {}
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

const ToxicType& reset_peer_toxic() {
  static const ToxicType type{
      "reset_peer",
      ToxicKind::stage,
      "resets both sides (TCP RST) timeout after the toxic became active on a connection",
      {{"timeout", Unit::duration, false, 0, "time before the reset"}},
      kTcp | kHttp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<ResetPeerStage>(p);
      }};
  return type;
}

}  // namespace jinx
