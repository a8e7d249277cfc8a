// Test doubles for the stage pipeline: a PipelineOwner on a fake clock that
// records what leaves the pipeline, and helpers to build chunks and stages.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline.h"
#include "random.h"
#include "toxics/factory.h"

namespace jinx::test {

struct Delivery {
  Micros at;         // fake time of delivery
  Micros read_time;  // the chunk's stamp
  size_t size;
  std::string bytes;  // empty unless the owner keeps bytes
  bool eof;
};

struct Action {
  Micros at;
  ToxicAction action;
  size_t toxic;  // ToxicIndex::value
};

class FakeOwner final : public PipelineOwner {
 public:
  Micros clock = 0;
  bool keep_bytes = true;  // off for bulk transfers: sizes only
  std::vector<Delivery> delivered;
  std::vector<Action> actions;
  size_t delivered_bytes = 0;
  size_t discarded_bytes = 0;
  size_t discard_calls = 0;

  Micros now() const override { return clock; }
  void deliver(Chunk&& chunk) override {
    Delivery d{clock, chunk.read_time(), chunk.size(), {}, chunk.eof()};
    if (keep_bytes && chunk.size() > 0) d.bytes.assign(chunk.data(), chunk.size());
    delivered_bytes += chunk.size();
    delivered.push_back(std::move(d));
  }
  void discarded(size_t bytes) override {
    discarded_bytes += bytes;
    ++discard_calls;
  }
  void toxic_action(ToxicAction action, ToxicIndex toxic) override {
    actions.push_back({clock, action, toxic.value});
  }

  // Everything delivered, concatenated (eof chunks add nothing).
  std::string all_bytes() const {
    std::string out;
    for (const auto& d : delivered) out += d.bytes;
    return out;
  }
  size_t progress() const { return delivered.size() + actions.size() + discard_calls; }
};

// A chunk holding `bytes`, in a block from the pool.
inline Chunk make_chunk(std::string_view bytes, Micros read_time) {
  Block* block = Block::take();
  std::memcpy(block->data, bytes.data(), bytes.size());
  return Chunk(block, 0, static_cast<uint32_t>(bytes.size()), read_time);
}

// A chunk of n bytes whose content does not matter (bulk transfers).
inline Chunk make_blank_chunk(size_t n, Micros read_time) {
  return Chunk(Block::take(), 0, static_cast<uint32_t>(n), read_time);
}

// Pushes `bytes` as chunks of at most `piece` bytes, all read at `read_time`.
inline void push_bytes(Pipeline& p, std::string_view bytes, Micros read_time,
                       size_t piece = Block::kSize) {
  for (size_t at = 0; at < bytes.size(); at += piece) {
    p.push(make_chunk(bytes.substr(at, piece), read_time));
  }
}

// Deterministic, non-repeating test content.
inline std::string pattern(size_t n, uint64_t seed = 1) {
  std::string out(n, '\0');
  Rng rng(seed);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng.next();
    std::memcpy(out.data() + i, &v, n - i < 8 ? n - i : 8);
  }
  return out;
}

// A stage of `type` with attributes in base units (durations in ms).
inline std::unique_ptr<Stage> make(std::string_view type, std::vector<double> attrs,
                                   uint64_t seed = 1, SharedBudget* budget = nullptr) {
  StageParams params{attrs, Rng::derive(seed, toxic_id(type), 1, RandomPurpose::downstream, 0),
                     budget};
  return make_stage(type, params);
}

constexpr Micros ms(double v) {
  return static_cast<Micros>(v * kMicrosPerMs);
}

// Drives the pipeline's timers as the relay does: advance the clock to
// next_wakeup(), run_timers(), repeat, up to `end` (kNever: until no timer is
// left). Returns false when a timer that came due did nothing and asked to be
// run again at once (it would spin the loop).
inline bool run_until(Pipeline& p, FakeOwner& owner, Micros end) {
  int idle = 0;
  for (;;) {
    Micros wake = p.next_wakeup();
    if (wake == kNever || wake > end) break;
    if (wake > owner.clock) owner.clock = wake;
    size_t before = owner.progress();
    p.run_timers();
    if (owner.progress() == before && p.next_wakeup() <= owner.clock) {
      if (++idle > 100) return false;
    } else {
      idle = 0;
    }
  }
  if (end != kNever && end > owner.clock) owner.clock = end;
  return true;
}

}  // namespace jinx::test
