// Which toxic of the scenario: its position in Scenario::toxics (file order,
// which is also the order of stages on a direction).
//
// A type of its own, as wide as the toxic table can be long, so an index
// cannot be narrowed on its way through the relay (toxic #65537 once came
// out as #1 through a uint16_t) nor mixed up with a byte count or a window.
#pragma once

#include <compare>
#include <cstddef>

namespace jinx {

struct ToxicIndex {
  size_t value = 0;

  constexpr ToxicIndex() = default;
  // Implicit from a position (tests write p.add(0, ...)); there is no way
  // back to an integer but `.value`, so nothing narrows it unnoticed.
  constexpr ToxicIndex(size_t v) : value(v) {}  // NOLINT(google-explicit-constructor)
  constexpr auto operator<=>(const ToxicIndex&) const = default;
};

}  // namespace jinx
