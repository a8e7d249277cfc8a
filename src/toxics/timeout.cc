// timeout: every byte (and a FIN) is discarded, as by a peer that stopped
// answering. If timeout > 0 the connection is closed that long after the toxic
// became active on it; when the window ends, a connection that lost data is
// closed, since its stream can no longer be trusted.
#include "toxics/factory.h"

namespace jinx {

const ToxicType& timeout_toxic();

namespace {

class TimeoutStage final : public Stage {
 public:
  explicit TimeoutStage(const StageParams& p) { update(p.attrs); }
  void update(const std::vector<double>& attrs) override {
    timeout_ = Settings(timeout_toxic(), attrs).duration("timeout");
  }
  void activate(StageIo& io) override {
    if (timeout_ > 0) deadline_ = io.now() + timeout_;
  }
  void push(Chunk&& chunk, StageIo& io) override {
    lost_data_ = true;
    io.discard(chunk.size());
  }
  Micros wakeup() const override { return deadline_; }
  void on_timer(StageIo& io) override {
    deadline_ = kNever;
    io.act(ToxicAction::close);
  }
  void flush(StageIo& io) override {
    if (lost_data_) io.act(ToxicAction::close);
  }

 private:
  Micros timeout_ = 0;
  Micros deadline_ = kNever;
  bool lost_data_ = false;
};

}  // namespace

const ToxicType& timeout_toxic() {
  static const ToxicType type{
      "timeout",
      ToxicKind::stage,
      "discards all data; closes the connection timeout after activation (0: never); "
      "connections that lost data are closed when the window ends",
      {{"timeout", Unit::duration, false, 0, "time before the connection is closed, 0 = never"}},
      kTcp | kHttp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<TimeoutStage>(p);
      }};
  return type;
}

}  // namespace jinx
