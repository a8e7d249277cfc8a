#include "schedule.h"

#include "random.h"

namespace jinx {
namespace {

Micros draw(const DurationRange& range, Rng& rng) {
  if (range.hi <= range.lo) return range.lo;
  // Whole milliseconds: timers resolve to 1 ms, and plans read better.
  auto lo_ms = range.lo / kMicrosPerMs;
  auto hi_ms = range.hi / kMicrosPerMs;
  if (hi_ms <= lo_ms) return range.lo;
  return (lo_ms + static_cast<Micros>(rng.below(static_cast<uint64_t>(hi_ms - lo_ms + 1)))) *
         kMicrosPerMs;
}

}  // namespace

std::optional<Window> window_at(const ToxicSpec& toxic, uint64_t k, uint64_t seed,
                                std::optional<Micros> session_duration) {
  const Schedule& s = toxic.schedule;
  uint64_t repeat = s.repeat ? *s.repeat : (s.every ? UINT64_MAX : 1);
  if (k >= repeat) return std::nullopt;
  Rng rng = Rng::derive(seed, toxic_id(toxic.name), 0, RandomPurpose::schedule, k);
  Window w;
  w.index = k;
  // Beyond ~290,000 years of windows there is nothing to schedule, and the
  // product below must not overflow.
  if (s.every && *s.every > 0 && k > static_cast<uint64_t>(INT64_MAX / 4 / *s.every)) {
    return std::nullopt;
  }
  Micros offset = s.every ? static_cast<Micros>(k) * *s.every : 0;
  w.start = draw(s.start, rng) + offset;
  if (session_duration && w.start >= *session_duration) return std::nullopt;
  if (s.duration) w.end = w.start + draw(*s.duration, rng);
  return w;
}

std::vector<Window> windows_of(const ToxicSpec& toxic, uint64_t seed,
                               std::optional<Micros> session_duration, size_t limit) {
  std::vector<Window> out;
  for (uint64_t k = 0; out.size() < limit; ++k) {
    auto w = window_at(toxic, k, seed, session_duration);
    if (!w) break;
    out.push_back(*w);
  }
  return out;
}

bool unbounded_windows(const ToxicSpec& toxic, std::optional<Micros> session_duration) {
  return toxic.schedule.every && !toxic.schedule.repeat && !session_duration;
}

}  // namespace jinx
