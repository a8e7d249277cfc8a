// slow_close: the end of stream (FIN) is passed on `delay` after it arrives;
// data flows as usual.
#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {

const ToxicType& slow_close_toxic();

namespace {

class SlowCloseStage final : public Stage {
 public:
  explicit SlowCloseStage(const StageParams& p) { update(p.attrs); }
  void update(const std::vector<double>& attrs) override {
    delay_ = Settings(slow_close_toxic(), attrs).duration("delay");
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

const ToxicType& slow_close_toxic() {
  static const ToxicType type{"slow_close",
                              ToxicKind::stage,
                              "passes the end of stream (FIN) on delay late",
                              {{"delay", Unit::duration, true, 0, "how late the FIN is passed on"}},
                              kTcp | kHttp,
                              [](const StageParams& p) -> std::unique_ptr<Stage> {
                                return std::make_unique<SlowCloseStage>(p);
                              }};
  return type;
}

}  // namespace jinx
