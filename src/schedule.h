// Schedule expansion (SPEC 4): the windows of a toxic on the session timeline.
// A pure function of (toxic, seed, session duration), so `plan` and `run`
// resolve the same windows, and a window can be computed lazily when the
// previous one ends (unlimited repeats never materialise a list).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "scenario.h"

namespace jinx {

struct Window {
  uint64_t index = 0;
  Micros start = 0;
  std::optional<Micros> end;  // absent: until the session ends
};

// Window k of the toxic, or nullopt when there is none (past `repeat`, or
// starting at or after the session duration).
std::optional<Window> window_at(const ToxicSpec& toxic, uint64_t k, uint64_t seed,
                                std::optional<Micros> session_duration);

// All windows, when their number is finite (a session duration or a repeat
// count bounds them); at most `limit` of them.
std::vector<Window> windows_of(const ToxicSpec& toxic, uint64_t seed,
                               std::optional<Micros> session_duration, size_t limit = 100000);

// Whether the toxic has infinitely many windows (every, no repeat, no duration).
bool unbounded_windows(const ToxicSpec& toxic, std::optional<Micros> session_duration);

}  // namespace jinx
