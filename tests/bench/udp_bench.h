// udp_bench.h — `jinx_bench udp`: datagrams per second through jinx beside
// a direct socket and socat's UDP relay, for 64-byte and 1,400-byte
// datagrams (medians of `runs` runs), and jinx's resident memory with 1,000
// and 10,000 idle flows.
#pragma once

#include <string>

#include "relays.h"

namespace bench {

int run_udp_bench(const std::string& jinx_bin, const Workdir& dir, bool quick, int runs);

}  // namespace bench
