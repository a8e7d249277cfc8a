// A datagram stage: one toxic acting on one direction of one UDP flow
// (SPEC 12). The datagram twin of stage.h.
//
// Datagrams enter with push(); the stage passes them on with io.emit(),
// drops them, or holds them and releases them from on_timer(), which the
// flow calls once io.now() reaches wakeup(). When the window closes, flush()
// hands on what the stage holds, in order. Unlike bytes of a stream, a
// datagram may be lost, duplicated, reordered or corrupted: the stage tells
// which through io.count(), so flow_close can say what each toxic did.
//
// Every random draw for a datagram comes from draws_for(number): the
// generator of (seed, toxic, flow, direction, window) mixed with the
// datagram's number, so the same seed and the same traffic give the same
// decisions whatever the timing.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "random.h"
#include "stage.h"
#include "toxic_types.h"
#include "units.h"

namespace jinx {

struct Datagram {
  std::vector<char> bytes;
  Micros read_time = 0;
  uint64_t number = 0;  // 1, 2, ... in its flow's direction, as read
  uint32_t copy = 0;    // 0 for the original, 1, 2, ... for duplicates

  size_t size() const { return bytes.size(); }
};

// What a stage did to a datagram, counted per toxic in flow_close.
enum class DatagramFate { dropped, duplicated, reordered, corrupted };
constexpr size_t kDatagramFates = 4;

class DatagramIo {
 public:
  virtual Micros now() const = 0;
  // Passes a datagram to the next stage (or out of the socket).
  virtual void emit(Datagram&& datagram) = 0;
  // Counts a fate for this stage's toxic; for `dropped`, the datagram is
  // gone (its bytes no longer count as held).
  virtual void count(DatagramFate fate, size_t bytes) = 0;

 protected:
  ~DatagramIo() = default;
};

class DatagramStage {
 public:
  virtual ~DatagramStage() = default;
  virtual void push(Datagram&& datagram, DatagramIo& io) = 0;
  virtual Micros wakeup() const { return kNever; }
  virtual void on_timer(DatagramIo& /*io*/) {}
  // The window closed: hand on everything held, in order.
  virtual void flush(DatagramIo& /*io*/) {}
  // A ramp step: new attribute values, in base units, indexed like the type.
  virtual void update(const std::vector<double>& /*attrs*/) {}
};

struct DatagramParams {
  const ToxicType& type;
  const std::vector<double>& attrs;  // base units, indexed like type.attrs
  Rng rng;                           // of (seed, toxic, flow, direction, window)
  uint64_t buffer = 0;               // the proxy's buffer: most bytes a queue holds

  Settings settings() const { return Settings(type, attrs); }
};

// The generator for one datagram (and copy) of a stage's stream of draws.
inline Rng draws_for(const Rng& base, const Datagram& d) {
  Rng mixer(d.number * 0x9e3779b97f4a7c15ULL ^ (static_cast<uint64_t>(d.copy) << 56));
  Rng copy = base;
  return Rng(copy.next() ^ mixer.next());
}

// The datagram stage of a toxic, from its registration; nullptr when the
// type has none (a proxy-level kind, or a TCP-only toxic).
inline std::unique_ptr<DatagramStage> make_datagram_stage(const DatagramParams& params) {
  return params.type.make_datagram != nullptr ? params.type.make_datagram(params) : nullptr;
}

}  // namespace jinx
