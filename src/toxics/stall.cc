// stall: everything is held, nothing dropped or closed; it flows again, in
// order, when the window ends. A network partition that heals.
#include <deque>

#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {
namespace {

class StallStage final : public Stage {
 public:
  void push(Chunk&& chunk, StageIo& /*io*/) override { push_merged(held_, std::move(chunk)); }
  void flush(StageIo& io) override { emit_all(held_, io); }

 private:
  std::deque<Chunk> held_;
};

}  // namespace

std::unique_ptr<Stage> make_stall(const StageParams& /*p*/) {
  return std::make_unique<StallStage>();
}

}  // namespace jinx
