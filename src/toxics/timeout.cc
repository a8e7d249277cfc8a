// timeout: every byte (and a FIN) is discarded, as by a peer that stopped
// answering. If timeout > 0 the connection is closed that long after the toxic
// became active on it; when the window ends, a connection that lost data is
// closed, since its stream can no longer be trusted.
#include "toxics/factory.h"

namespace jinx {
namespace {

class TimeoutStage final : public Stage {
 public:
  explicit TimeoutStage(const StageParams& p) { update(p.attrs); }
  void update(const std::vector<double>& attrs) override {
    timeout_ = static_cast<Micros>(attrs[0] * kMicrosPerMs);
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

std::unique_ptr<Stage> make_timeout(const StageParams& p) {
  return std::make_unique<TimeoutStage>(p);
}

}  // namespace jinx
