#include "scenario.h"

namespace jinx {

const char* stream_name(Stream s) {
  switch (s) {
    case Stream::upstream:
      return "upstream";
    case Stream::downstream:
      return "downstream";
    case Stream::both:
      return "both";
  }
  return "?";
}

bool ToxicSpec::has_ramp() const {
  if (toxicity.ramp) return true;
  for (const auto& a : attrs) {
    if (a.ramp) return true;
  }
  return false;
}

bool ToxicSpec::applies_to(Direction d) const {
  if (stream == Stream::both) return true;
  return (stream == Stream::upstream) == (d == Direction::upstream);
}

}  // namespace jinx
