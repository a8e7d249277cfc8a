// What the relay (proxies and their connections) needs from the session
// above it: the loop and its clock, the event log, the seed, the names of
// toxics, and the counters and limits shared across proxies.
//
// Connections and proxies report upward through this small interface and
// never reach into the concrete Session, so a loop-level test can stand a
// fake in for it, and the coming relays (an HTTP-aware connection that sees
// requests, UDP flows beside TCP connections) use the same one: counters
// and limits per relayed unit, whatever its protocol.
#pragma once

#include <uv.h>

#include <cstdint>

#include "scenario.h"
#include "toxic_index.h"
#include "units.h"

namespace jinx {

class EventLog;
class LoopTimers;
class Resolver;

// What a UDP flow carried, added up for session_end (SPEC 12).
struct FlowTotals {
  uint64_t datagrams_up = 0;  // delivered to the upstream
  uint64_t datagrams_down = 0;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  uint64_t received_up = 0;  // read from the client, before any toxic
  uint64_t received_down = 0;
  uint64_t dropped = 0;  // by toxics, full queues and refused sends
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;

  void add(const FlowTotals& o) {
    datagrams_up += o.datagrams_up;
    datagrams_down += o.datagrams_down;
    bytes_up += o.bytes_up;
    bytes_down += o.bytes_down;
    received_up += o.received_up;
    received_down += o.received_down;
    dropped += o.dropped;
    duplicated += o.duplicated;
    reordered += o.reordered;
    corrupted += o.corrupted;
  }
};

class RelayContext {
 public:
  virtual uv_loop_t* loop() = 0;
  virtual Micros now() const = 0;
  virtual EventLog& events() = 0;
  // The session's seed: every random draw derives from it (random.h).
  virtual uint64_t seed() const = 0;
  // A toxic of the scenario (its name for conn_close, its type for the
  // proxy-level toxics).
  virtual const ToxicSpec& toxic_spec(ToxicIndex toxic) const = 0;
  // Names are resolved on the loop, shared by every proxy (resolver.h).
  virtual Resolver& resolver() = 0;
  // Microsecond wake-ups on the loop, for stages and connections.
  virtual LoopTimers& timers() = 0;
  // The session is ending: nothing new is started (no listener rebinds).
  virtual bool ending() const = 0;

  // Connections are numbered 1, 2, ... across proxies (SPEC 6).
  virtual uint64_t next_connection_id() = 0;
  // Open connections across proxies, against the file descriptor limit.
  virtual void connection_opened() = 0;
  virtual void connection_closed() = 0;
  // Bytes delivered by a connection that finished, for session_end.
  virtual void count_closed(uint64_t up, uint64_t down) = 0;
  // UDP flows are numbered 1, 2, ... across proxies, apart from connections.
  virtual uint64_t next_flow_id() = 0;
  // What a flow that ended carried, for session_end.
  virtual void count_flow(const FlowTotals& totals) = 0;

 protected:
  ~RelayContext() = default;
};

}  // namespace jinx
