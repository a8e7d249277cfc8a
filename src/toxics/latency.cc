// latency: each chunk leaves at read_time + latency + u, u uniform in
// [-jitter, +jitter], never before the chunk ahead of it. Measured from the
// read time, so the delay does not add up behind a backlog and throughput is
// not reduced (Toxiproxy's semantics).
#include <algorithm>

#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {
namespace {

class LatencyStage final : public Stage {
 public:
  explicit LatencyStage(const StageParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    latency_ = static_cast<Micros>(attrs[0] * kMicrosPerMs);
    jitter_ = static_cast<Micros>(attrs[1] * kMicrosPerMs);
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

std::unique_ptr<Stage> make_latency(const StageParams& p) {
  return std::make_unique<LatencyStage>(p);
}

}  // namespace jinx
