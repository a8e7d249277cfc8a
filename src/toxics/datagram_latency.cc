// latency on UDP: each datagram leaves at read_time + latency + u, u uniform
// in [-jitter, +jitter]. Order is kept (a datagram never leaves before the one
// ahead of it) unless `reorder` = true, when jitter may swap datagrams, as on
// a network with several paths; those that overtake are counted.
#include <algorithm>
#include <map>

#include "toxics/datagram_factory.h"

namespace jinx {

const ToxicType& latency_toxic();

namespace {

class DatagramLatencyStage final : public DatagramStage {
 public:
  explicit DatagramLatencyStage(const DatagramParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    Settings s(latency_toxic(), attrs);
    latency_ = s.duration("latency");
    jitter_ = s.duration("jitter");
    reorder_ = s.choice("reorder") == "true";
  }

  void push(Datagram&& d, DatagramIo& io) override {
    Micros delay = latency_;
    if (jitter_ > 0) {
      auto spread = static_cast<double>(jitter_);
      delay += static_cast<Micros>(draws_for(rng_, d).uniform(-spread, spread));
    }
    Micros release = d.read_time + std::max<Micros>(delay, 0);
    if (!reorder_) release = std::max(release, last_release_);
    last_release_ = std::max(release, last_release_);
    if (held_.empty() && release <= io.now()) {
      send(std::move(d), io);
    } else {
      held_.emplace(release, std::move(d));  // after any of the same time: stable
    }
  }

  Micros wakeup() const override { return held_.empty() ? kNever : held_.begin()->first; }

  void on_timer(DatagramIo& io) override {
    Micros now = io.now();
    while (!held_.empty() && held_.begin()->first <= now) take_first(io);
  }

  void flush(DatagramIo& io) override {
    while (!held_.empty()) take_first(io);
  }

 private:
  void take_first(DatagramIo& io) {
    auto node = held_.extract(held_.begin());
    send(std::move(node.mapped()), io);
  }

  void send(Datagram&& d, DatagramIo& io) {
    if (d.number < highest_sent_) io.count(DatagramFate::reordered, d.size());
    highest_sent_ = std::max(highest_sent_, d.number);
    io.emit(std::move(d));
  }

  Rng rng_;
  Micros latency_ = 0;
  Micros jitter_ = 0;
  bool reorder_ = false;
  Micros last_release_ = 0;
  uint64_t highest_sent_ = 0;
  std::multimap<Micros, Datagram> held_;
};

}  // namespace

std::unique_ptr<DatagramStage> make_latency_datagram(const DatagramParams& params) {
  return std::make_unique<DatagramLatencyStage>(params);
}

}  // namespace jinx
