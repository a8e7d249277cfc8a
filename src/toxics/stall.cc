// stall: everything is held, nothing dropped or closed; it flows again, in
// order, when the window ends. A network partition that heals.
#include <deque>

#include "toxics/datagram_factory.h"
#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {

const ToxicType& stall_toxic();

namespace {

class StallStage final : public Stage {
 public:
  void push(Chunk&& chunk, StageIo& /*io*/) override { push_merged(held_, std::move(chunk)); }
  void flush(StageIo& io) override { emit_all(held_, io); }

 private:
  std::deque<Chunk> held_;
};

}  // namespace

const ToxicType& stall_toxic() {
  static const ToxicType type{
      "stall",
      ToxicKind::stage,
      "holds all data, dropping nothing; it flows again in order when the window ends",
      {},
      kTcp | kHttp | kUdp,
      [](const StageParams& /*p*/) -> std::unique_ptr<Stage> {
        return std::make_unique<StallStage>();
      },
      nullptr,
      make_stall_datagram};
  return type;
}

}  // namespace jinx
