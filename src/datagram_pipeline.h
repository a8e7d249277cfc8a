// One direction of a UDP flow: source -> datagram stage -> ... -> sink, the
// datagram twin of pipeline.h. Stages sit in file order of their toxics.
//
// The direction holds at most `buffer` bytes (the proxy's buffer) across its
// stages: a datagram that would go over it is dropped on arrival (a tail
// drop, as a full router queue does), not attributed to any toxic.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "datagram_stage.h"
#include "toxic_index.h"

namespace jinx {

class DatagramPipelineOwner {
 public:
  virtual Micros now() const = 0;
  virtual void deliver(Datagram&& datagram) = 0;  // out of the last stage
  // A stage of `toxic` counted a fate (see DatagramIo::count).
  virtual void counted(ToxicIndex toxic, DatagramFate fate) = 0;
  // A datagram dropped on arrival because the direction held `buffer` bytes.
  virtual void overflowed(size_t bytes) = 0;

 protected:
  ~DatagramPipelineOwner() = default;
};

class DatagramPipeline {
 public:
  DatagramPipeline(DatagramPipelineOwner& owner, uint64_t buffer)
      : owner_(owner), buffer_(buffer) {}
  DatagramPipeline(const DatagramPipeline&) = delete;
  DatagramPipeline& operator=(const DatagramPipeline&) = delete;

  bool empty() const { return slots_.empty(); }
  bool has(ToxicIndex toxic) const;
  uint64_t held() const { return held_; }

  void push(Datagram&& datagram);
  // Stages sit by `order` (ToxicSpec::order), as Pipeline's do; without
  // one, the index is the order.
  void add(ToxicIndex toxic, size_t order, std::unique_ptr<DatagramStage> stage);
  void add(ToxicIndex toxic, std::unique_ptr<DatagramStage> stage) {
    add(toxic, toxic.value, std::move(stage));
  }
  // Flushes the toxic's stage into the next one and removes it.
  void remove(ToxicIndex toxic);
  void update(ToxicIndex toxic, const std::vector<double>& attrs);
  void run_timers();
  Micros next_wakeup() const;
  // Drops every stage and what it holds (the flow is going away).
  void clear() {
    slots_.clear();
    held_ = 0;
  }

 private:
  struct Slot {
    ToxicIndex toxic;
    size_t order;
    std::unique_ptr<DatagramStage> stage;
  };
  // The DatagramIo of the stage at one position.
  class SlotIo;
  void pass_from(size_t position, Datagram&& datagram);

  DatagramPipelineOwner& owner_;
  uint64_t buffer_;
  uint64_t held_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace jinx
