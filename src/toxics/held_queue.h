// A FIFO of chunks waiting in a stage, each with the time it may leave.
#pragma once

#include <deque>

#include "chunk.h"
#include "stage.h"

namespace jinx {

// Appends to a plain FIFO, merging with the last chunk where it can.
inline void push_merged(std::deque<Chunk>& chunks, Chunk&& c) {
  if (!chunks.empty() && chunks.back().try_append(c)) return;
  chunks.push_back(std::move(c));
}

// Hands on every chunk of a plain FIFO, in order (a window closed).
inline void emit_all(std::deque<Chunk>& chunks, StageIo& io) {
  while (!chunks.empty()) {
    io.emit(std::move(chunks.front()));
    chunks.pop_front();
  }
}

class HeldQueue {
 public:
  struct Item {
    Micros release;
    Chunk chunk;
  };
  bool empty() const { return items_.empty(); }
  Micros front_release() const { return items_.empty() ? kNever : items_.front().release; }
  Chunk& front() { return items_.front().chunk; }
  void push(Micros release, Chunk&& c) {
    if (!items_.empty() && items_.back().release == release && items_.back().chunk.try_append(c)) {
      return;
    }
    items_.push_back({release, std::move(c)});
  }
  Chunk pop() {
    Chunk c = std::move(items_.front().chunk);
    items_.pop_front();
    return c;
  }
  // Emits every chunk whose release time has come, in order.
  void emit_due(StageIo& io) {
    Micros now = io.now();
    while (!items_.empty() && items_.front().release <= now) io.emit(pop());
  }
  // Emits everything, in order (the window closed).
  void emit_all(StageIo& io) {
    while (!items_.empty()) io.emit(pop());
  }

 private:
  std::deque<Item> items_;
};

}  // namespace jinx
