// reorder (UDP): with `probability` a datagram is held back until `gap`
// later datagrams have passed it (netem's reorder), or for at most kMaxHold
// when the traffic stops, so that nothing waits for ever.
#include <algorithm>
#include <deque>

#include "toxics/datagram_factory.h"

namespace jinx {

const ToxicType& reorder_toxic();

namespace {

constexpr Micros kMaxHold = 100 * kMicrosPerMs;

class ReorderStage final : public DatagramStage {
 public:
  explicit ReorderStage(const DatagramParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    Settings s(reorder_toxic(), attrs);
    probability_ = s.probability("probability");
    gap_ = static_cast<uint64_t>(std::max(1.0, s.number("gap")));
  }

  void push(Datagram&& d, DatagramIo& io) override {
    if (draws_for(rng_, d).chance(probability_)) {
      io.count(DatagramFate::reordered, d.size());
      held_.push_back({std::move(d), gap_, io.now() + kMaxHold});
      return;
    }
    io.emit(std::move(d));
    for (auto& h : held_) --h.wait;
    release(io, false);
  }

  Micros wakeup() const override { return held_.empty() ? kNever : held_.front().deadline; }
  void on_timer(DatagramIo& io) override { release(io, false); }
  void flush(DatagramIo& io) override { release(io, true); }

 private:
  struct Held {
    Datagram datagram;
    uint64_t wait;  // datagrams still to pass it
    Micros deadline;
  };

  void release(DatagramIo& io, bool all) {
    while (!held_.empty() &&
           (all || held_.front().wait == 0 || held_.front().deadline <= io.now())) {
      io.emit(std::move(held_.front().datagram));
      held_.pop_front();
    }
  }

  Rng rng_;
  double probability_ = 0;
  uint64_t gap_ = 1;
  std::deque<Held> held_;
};

}  // namespace

const ToxicType& reorder_toxic() {
  static const ToxicType type{
      "reorder",
      ToxicKind::stage,
      "holds a datagram back, with the given probability, until `gap` later ones have passed",
      {{"probability", Unit::probability, true, 0, "chance that a datagram is held back", {}, 0, 1},
       {"gap",
        Unit::count,
        false,
        1,
        "datagrams that overtake a held one (at most 100ms)",
        {},
        1,
        1e6}},
      kUdp,
      nullptr,
      nullptr,
      [](const DatagramParams& p) -> std::unique_ptr<DatagramStage> {
        return std::make_unique<ReorderStage>(p);
      }};
  return type;
}

}  // namespace jinx
