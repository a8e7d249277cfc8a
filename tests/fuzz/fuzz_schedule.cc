// libFuzzer target: the schedule expander. The input picks the schedule
// (start and duration ranges, every, repeat, the seed, the session
// duration); windows must come out in order, inside their ranges, never
// overlapping, and identical when computed twice.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "schedule.h"

namespace {

struct Reader {
  const uint8_t* data;
  size_t size;
  uint64_t take(uint64_t bound) {
    uint64_t v = 0;
    for (int i = 0; i < 8 && size > 0; ++i, --size) v = v << 8 | *data++;
    return bound == 0 ? v : v % bound;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  using jinx::Micros;
  const Micros ms = jinx::kMicrosPerMs;
  jinx::ToxicSpec t;
  t.name = "fuzz";
  Micros start_lo = static_cast<Micros>(in.take(1000000)) * ms;
  Micros start_hi = start_lo + static_cast<Micros>(in.take(10000)) * ms;
  t.schedule.start = {start_lo, start_hi};
  if (in.take(2) == 1) {
    Micros lo = static_cast<Micros>(in.take(100000)) * ms;
    t.schedule.duration = jinx::DurationRange{lo, lo + static_cast<Micros>(in.take(10000)) * ms};
  }
  if (t.schedule.duration && in.take(2) == 1) {
    // The loader only accepts every >= longest window + start spread.
    Micros min_every = t.schedule.duration->hi + (start_hi - start_lo);
    t.schedule.every = std::max<Micros>(ms, min_every + static_cast<Micros>(in.take(100000)) * ms);
  }
  if (in.take(2) == 1) t.schedule.repeat = 1 + in.take(1000);
  if (t.schedule.repeat && *t.schedule.repeat > 1 && !t.schedule.every) t.schedule.repeat = 1;
  uint64_t seed = in.take(0);
  std::optional<Micros> session;
  if (in.take(2) == 1) session = static_cast<Micros>(1 + in.take(100000000)) * ms;

  auto a = jinx::windows_of(t, seed, session, 2000);
  auto b = jinx::windows_of(t, seed, session, 2000);
  if (a.size() != b.size()) __builtin_trap();
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& w = a[i];
    if (w.index != i || w.start != b[i].start || w.end != b[i].end) __builtin_trap();
    Micros base = t.schedule.every ? static_cast<Micros>(i) * *t.schedule.every : 0;
    if (w.start < start_lo + base || w.start > start_hi + base) __builtin_trap();
    if (session && w.start >= *session) __builtin_trap();
    if (w.end) {
      if (!t.schedule.duration) __builtin_trap();
      Micros len = *w.end - w.start;
      if (len < t.schedule.duration->lo || len > t.schedule.duration->hi) __builtin_trap();
    }
    if (i > 0 && a[i - 1].end && w.start < *a[i - 1].end) __builtin_trap();  // no overlap
  }
  return 0;
}
