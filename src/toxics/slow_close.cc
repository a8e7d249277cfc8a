// slow_close: the end of stream (FIN) is passed on `delay` after it arrives;
// data flows as usual.
#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {
namespace {

class SlowCloseStage final : public Stage {
 public:
  explicit SlowCloseStage(const StageParams& p) { update(p.attrs); }
  void update(const std::vector<double>& attrs) override {
    delay_ = static_cast<Micros>(attrs[0] * kMicrosPerMs);
  }
  void push(Chunk&& chunk, StageIo& io) override {
    if (chunk.eof()) {
      held_.push(io.now() + delay_, std::move(chunk));
    } else {
      io.emit(std::move(chunk));
    }
  }
  Micros wakeup() const override { return held_.front_release(); }
  void on_timer(StageIo& io) override { held_.emit_due(io); }
  void flush(StageIo& io) override { held_.emit_all(io); }

 private:
  Micros delay_ = 0;
  HeldQueue held_;
};

}  // namespace

std::unique_ptr<Stage> make_slow_close(const StageParams& p) {
  return std::make_unique<SlowCloseStage>(p);
}

}  // namespace jinx
