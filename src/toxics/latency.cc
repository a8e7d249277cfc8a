// latency: each chunk leaves at read_time + latency + u, u uniform in
// [-jitter, +jitter], never before the chunk ahead of it. Measured from the
// read time, so the delay does not add up behind a backlog and throughput is
// not reduced (Toxiproxy's semantics).
#include <algorithm>

#include "toxics/datagram_factory.h"
#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {

const ToxicType& latency_toxic();

namespace {

class LatencyStage final : public Stage {
 public:
  explicit LatencyStage(const StageParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    Settings s(latency_toxic(), attrs);
    latency_ = s.duration("latency");
    jitter_ = s.duration("jitter");
  }

  void push(Chunk&& chunk, StageIo& io) override {
    Micros delay = latency_;
    if (jitter_ > 0) {
      delay += static_cast<Micros>(
          rng_.uniform(-static_cast<double>(jitter_), static_cast<double>(jitter_)));
    }
    Micros release = chunk.read_time() + std::max<Micros>(delay, 0);
    release = std::max(release, last_release_);  // order is kept
    last_release_ = release;
    if (queue_.empty() && release <= io.now()) {
      io.emit(std::move(chunk));
    } else {
      queue_.push(release, std::move(chunk));
    }
  }

  Micros wakeup() const override { return queue_.front_release(); }
  bool transparent() const override { return latency_ == 0 && jitter_ == 0 && queue_.empty(); }
  void on_timer(StageIo& io) override { queue_.emit_due(io); }
  void flush(StageIo& io) override { queue_.emit_all(io); }

 private:
  Rng rng_;
  Micros latency_ = 0;
  Micros jitter_ = 0;
  Micros last_release_ = 0;
  HeldQueue queue_;
};

}  // namespace

const ToxicType& latency_toxic() {
  static const ToxicType type{
      "latency",
      ToxicKind::stage,
      "holds each chunk until its read time + latency +/- jitter, keeping order",
      {{"latency", Unit::duration, false, 0, "delay added to each chunk"},
       {"jitter", Unit::duration, false, 0, "uniform spread around latency (never below 0)"},
       {"reorder",
        Unit::choice,
        false,
        0,
        "UDP: true lets jitter reorder datagrams; false keeps their order",
        {"false", "true"},
        0,
        1e18,
        kUdp}},
      kTcp | kHttp | kUdp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<LatencyStage>(p);
      },
      nullptr,
      make_latency_datagram};
  return type;
}

}  // namespace jinx
