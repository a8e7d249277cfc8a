// bandwidth on UDP: datagrams leave at `rate` bytes/s, each at its slot, the
// next slot size/rate later (a debt of time, as on TCP). They wait in a queue
// bounded by the proxy's buffer; beyond it they are dropped and counted (a
// tail drop, as a router's full queue does). Rate 0 holds everything until
// the window ends.
#include <algorithm>
#include <cmath>

#include "toxics/datagram_factory.h"

namespace jinx {

const ToxicType& bandwidth_toxic();

namespace {

class DatagramBandwidthStage final : public DatagramStage {
 public:
  explicit DatagramBandwidthStage(const DatagramParams& p) : queue_(p.buffer) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    rate_ = Settings(bandwidth_toxic(), attrs).rate("rate");
  }

  void push(Datagram&& d, DatagramIo& io) override {
    if (queue_.push(std::move(d), io)) pump(io);
  }

  Micros wakeup() const override {
    if (queue_.empty() || rate_ <= 0) return kNever;
    return static_cast<Micros>(std::ceil(next_free_));
  }

  void on_timer(DatagramIo& io) override { pump(io); }
  void flush(DatagramIo& io) override { queue_.emit_all(io); }

 private:
  void pump(DatagramIo& io) {
    auto now = static_cast<double>(io.now());
    while (!queue_.empty() && rate_ > 0) {
      // An idle link does not bank time for a later burst.
      next_free_ = std::max(next_free_, now - 1);
      if (next_free_ > now) return;
      next_free_ += static_cast<double>(queue_.front().size()) * 1e6 / rate_;
      io.emit(queue_.pop());
    }
  }

  DatagramQueue queue_;
  double rate_ = 0;
  double next_free_ = 0;
};

}  // namespace

std::unique_ptr<DatagramStage> make_bandwidth_datagram(const DatagramParams& params) {
  return std::make_unique<DatagramBandwidthStage>(params);
}

}  // namespace jinx
