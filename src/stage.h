// A stage: one toxic acting on one direction of one connection.
//
// Chunks enter a stage with push(); the stage passes them on at once with
// io.emit(), or holds them and releases them later from on_timer(), which the
// pipeline calls once io.now() reaches wakeup(). When the toxic's window
// closes, flush() hands on everything the stage holds, in order, and the stage
// is destroyed. Stages never touch sockets or timers themselves: they read the
// time from io.now(), so unit tests drive them with a fake clock.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include "chunk.h"
#include "units.h"

namespace jinx {

constexpr Micros kNever = std::numeric_limits<Micros>::max();

// What a stage's toxic does to the connection, beyond moving bytes. Carried
// out by the connection after the stage returns, never during it.
enum class ToxicAction {
  close,              // close both sides (reason "toxic")
  reset,              // reset both sides with RST (reason "toxic")
  close_after_flush,  // close once what was emitted so far is delivered
};

class StageIo {
 public:
  virtual Micros now() const = 0;
  // Passes a chunk to the next stage (or the sink).
  virtual void emit(Chunk&& chunk) = 0;
  // Reports bytes dropped on purpose (they no longer count as held).
  virtual void discard(size_t bytes) = 0;
  virtual void act(ToxicAction action) = 0;
  // Counts bytes a stage made up (an answer jinx gives itself) as held, so
  // they are accounted for when the sink takes them.
  virtual void injected(size_t /*bytes*/) {}

 protected:
  ~StageIo() = default;
};

class Stage {
 public:
  virtual ~Stage() = default;
  // The toxic became active on this connection (window opened, or the
  // connection opened during it).
  virtual void activate(StageIo& /*io*/) {}
  virtual void push(Chunk&& chunk, StageIo& io) = 0;
  virtual Micros wakeup() const { return kNever; }
  virtual void on_timer(StageIo& /*io*/) {}
  // The window closed: hand on everything held, in order.
  virtual void flush(StageIo& /*io*/) {}
  // A ramp step: new attribute values, in base units, indexed like the type.
  virtual void update(const std::vector<double>& /*attrs*/) {}
  // Whether the stage would pass any chunk on at once and untouched, holding
  // nothing (a latency of 0): bytes may then bypass it, by splice(2).
  virtual bool transparent() const { return false; }
};

}  // namespace jinx
