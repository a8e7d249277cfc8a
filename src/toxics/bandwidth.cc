// bandwidth: delivery limited to `rate` bytes/s, as a debt of time: a piece
// leaves at its slot, and the next slot is piece/rate later. Pieces are about
// 10 ms of data, so slow rates stay smooth and fast ones are not chopped up.
// With scope = "proxy" the slots come from one budget shared by all the
// proxy's connections in this direction; each connection reserves one piece at
// a time, so connections take turns.
#include <algorithm>
#include <cmath>
#include <deque>

#include "toxics/datagram_factory.h"
#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {

const ToxicType& bandwidth_toxic();

namespace {

class BandwidthStage final : public Stage {
 public:
  static constexpr double kCatchUp = 5000;  // us

  // The proxy's budget is offered to every stage; only scope = "proxy"
  // takes it, else each connection has its own (issue 9 #9).
  explicit BandwidthStage(const StageParams& p)
      : shared_(p.settings().choice("scope") == "proxy" ? p.budget : nullptr) {
    update(p.attrs);
  }

  void update(const std::vector<double>& attrs) override {
    rate_ = Settings(bandwidth_toxic(), attrs).rate("rate");
  }

  void push(Chunk&& chunk, StageIo& io) override {
    push_merged(queue_, std::move(chunk));
    pump(io);
  }

  Micros wakeup() const override {
    if (queue_.empty() || rate_ <= 0) return kNever;
    if (!reserved_) return 0;  // rate came back from 0: reserve at once
    // Rounded up: a wake-up before the slot would find nothing due and spin.
    return static_cast<Micros>(std::ceil(slot_));
  }

  void on_timer(StageIo& io) override { pump(io); }

  void flush(StageIo& io) override { emit_all(queue_, io); }

 private:
  size_t piece_size() const {
    double bytes = rate_ / 100;  // 10 ms worth
    return static_cast<size_t>(std::clamp(bytes, 1.0, static_cast<double>(Block::kSize)));
  }

  void pump(StageIo& io) {
    const double now = static_cast<double>(io.now());
    while (!queue_.empty()) {
      Chunk& head = queue_.front();
      if (head.eof() || head.size() == 0) {
        io.emit(std::move(head));
        queue_.pop_front();
        continue;
      }
      if (rate_ <= 0) return;  // rate 0 holds everything until the window ends
      size_t piece = std::min(head.size(), piece_size());
      if (!reserved_) {
        double& next_free = shared_ != nullptr ? shared_->next_free : own_next_free_;
        // A slot the loop woke up late for is not lost: up to kCatchUp of
        // lateness is made good by the next slots, so a busy machine does
        // not lower the rate. Beyond that (the link was idle) time restarts
        // from now: idleness buys at most kCatchUp's worth of burst.
        slot_ = std::max(next_free, now - kCatchUp);
        next_free = slot_ + static_cast<double>(piece) * 1e6 / rate_;
        reserved_ = true;
        reserved_size_ = piece;
      }
      if (slot_ > now) return;
      reserved_ = false;
      piece = std::min(reserved_size_, head.size());
      if (piece == head.size()) {
        io.emit(std::move(head));
        queue_.pop_front();
      } else {
        io.emit(head.take_front(piece));
      }
    }
  }

  SharedBudget* shared_;
  double rate_ = 0;
  double own_next_free_ = 0;
  std::deque<Chunk> queue_;
  bool reserved_ = false;
  double slot_ = 0;
  size_t reserved_size_ = 0;
};

}  // namespace

const ToxicType& bandwidth_toxic() {
  static const ToxicType type{
      "bandwidth",
      ToxicKind::stage,
      "limits delivery to rate bytes/s; rate 0 holds all data until the window ends",
      {{"rate", Unit::rate, true, 0, "bytes per second delivered"},
       {"scope",
        Unit::choice,
        false,
        0,
        "TCP and HTTP: connection: a budget per connection; proxy: one budget shared by all "
        "connections",
        {"connection", "proxy"},
        0,
        1e18,
        kTcp | kHttp}},
      kTcp | kHttp | kUdp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<BandwidthStage>(p);
      },
      nullptr,
      make_bandwidth_datagram};
  return type;
}

}  // namespace jinx
