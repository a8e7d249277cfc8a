// stall on UDP: every datagram is held (up to the proxy's buffer; beyond it
// they are dropped and counted) and released in order when the window ends.
#include "toxics/datagram_factory.h"

namespace jinx {

namespace {

class DatagramStallStage final : public DatagramStage {
 public:
  explicit DatagramStallStage(const DatagramParams& p) : queue_(p.buffer) {}
  void push(Datagram&& d, DatagramIo& io) override { queue_.push(std::move(d), io); }
  void flush(DatagramIo& io) override { queue_.emit_all(io); }

 private:
  DatagramQueue queue_;
};

}  // namespace

std::unique_ptr<DatagramStage> make_stall_datagram(const DatagramParams& params) {
  return std::make_unique<DatagramStallStage>(params);
}

}  // namespace jinx
