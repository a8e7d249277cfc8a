// A toxic whose window is open on a proxy: what each connection or flow needs
// to build its stage or apply it. TCP and UDP proxies share it; a TCP proxy
// adds what its connections share (ActiveToxic, proxy.h).
#pragma once

#include <cstdint>
#include <vector>

#include "scenario.h"
#include "toxic_index.h"

namespace jinx {

struct OpenToxic {
  ToxicIndex index;  // in Scenario::toxics, which is file order
  const ToxicSpec* spec = nullptr;
  uint64_t window = 0;
  std::vector<double> attrs;  // base units, as the window stands now
  double toxicity = 1;
};

}  // namespace jinx
