// The datagram stages of toxics that serve TCP and UDP under one name: each
// lives in its own datagram_*.cc, and the toxic's registration (latency.cc,
// bandwidth.cc, ...) points at it beside its byte-stream stage.
#pragma once

#include <deque>
#include <memory>

#include "datagram_stage.h"

namespace jinx {

std::unique_ptr<DatagramStage> make_latency_datagram(const DatagramParams& params);
std::unique_ptr<DatagramStage> make_bandwidth_datagram(const DatagramParams& params);
std::unique_ptr<DatagramStage> make_corrupt_datagram(const DatagramParams& params);
std::unique_ptr<DatagramStage> make_stall_datagram(const DatagramParams& params);

// A FIFO of whole datagrams bounded by the proxy's buffer: one that would go
// over it is dropped (a tail drop) and counted.
class DatagramQueue {
 public:
  explicit DatagramQueue(uint64_t limit) : limit_(limit) {}
  bool empty() const { return items_.empty(); }
  Datagram& front() { return items_.front(); }
  // False (and counted as dropped) when the queue is full.
  bool push(Datagram&& d, DatagramIo& io) {
    if (bytes_ + d.size() > limit_) {
      io.count(DatagramFate::dropped, d.size());
      return false;
    }
    bytes_ += d.size();
    items_.push_back(std::move(d));
    return true;
  }
  Datagram pop() {
    Datagram d = std::move(items_.front());
    items_.pop_front();
    bytes_ -= d.size();
    return d;
  }
  void emit_all(DatagramIo& io) {
    while (!items_.empty()) io.emit(pop());
  }

 private:
  uint64_t limit_;
  uint64_t bytes_ = 0;
  std::deque<Datagram> items_;
};

}  // namespace jinx
