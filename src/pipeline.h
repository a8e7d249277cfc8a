// The pipeline of one direction: source -> stage -> stage -> ... -> sink.
//
// Stages sit in file order (a toxic declared earlier sees the data first) and
// come and go as toxic windows open and close. The pipeline knows nothing of
// sockets: its owner (a relay direction, or a fake in unit tests) supplies
// the time and takes what leaves the last stage.
//
// On an HTTP proxy a head stage sits before every toxic: it follows the
// messages (http_layer.h) and is no toxic's, so it is set apart from the
// slots and owned by whoever set it.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "stage.h"
#include "toxic_index.h"

namespace jinx {

class PipelineOwner {
 public:
  virtual Micros now() const = 0;
  virtual void deliver(Chunk&& chunk) = 0;   // out of the last stage
  virtual void discarded(size_t bytes) = 0;  // dropped by a stage on purpose
  virtual void toxic_action(ToxicAction action, ToxicIndex toxic) = 0;
  virtual void injected(size_t /*bytes*/) {}  // made up by a stage (StageIo::injected)

 protected:
  ~PipelineOwner() = default;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOwner& owner) : owner_(owner) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  bool empty() const { return slots_.empty() && head_ == nullptr; }
  // No stage would hold or change a chunk right now (see Stage::transparent).
  bool transparent() const;
  bool has(ToxicIndex toxic) const;

  // Into the first stage, or straight to the owner when there is none.
  void push(Chunk&& chunk);
  // Inserts a stage for `toxic` and activates it. Stages sit by `order`
  // (ToxicSpec::order: file order, then the order API toxics were added);
  // without one, the index is the order (a timeline toxic's are equal).
  void add(ToxicIndex toxic, size_t order, std::unique_ptr<Stage> stage);
  void add(ToxicIndex toxic, std::unique_ptr<Stage> stage) {
    add(toxic, toxic.value, std::move(stage));
  }
  // Flushes the toxic's stage into the next one and removes it.
  void remove(ToxicIndex toxic);
  void update(ToxicIndex toxic, const std::vector<double>& attrs);
  // Runs on_timer() of every stage whose wakeup has come.
  void run_timers();
  Micros next_wakeup() const;
  // Removes every stage, first to last, each handing on what it holds (the
  // connection is winding down).
  void flush_all();
  // Drops every stage without flushing (the connection is going away).
  void clear() { slots_.clear(); }
  // The stage every chunk enters first, before any toxic's (not owned).
  void set_head(Stage* head) { head_ = head; }

 private:
  struct Slot {
    ToxicIndex toxic;
    size_t order;
    std::unique_ptr<Stage> stage;
  };
  class SlotIo;
  class HeadIo;
  void push_from(size_t position, Chunk&& chunk);
  size_t position_of(ToxicIndex toxic) const;

  PipelineOwner& owner_;
  std::vector<Slot> slots_;
  Stage* head_ = nullptr;
};

}  // namespace jinx
