// udp.h — `jinx_bench udp`: datagrams per second through jinx beside a
// direct socket and socat's UDP relay, for 64-byte and 1,400-byte
// datagrams, and jinx's memory per idle flow at 1,000 and 10,000 flows.
#pragma once

#include <string>

#include "relays.h"

namespace bench {

int run_udp_bench(const std::string& jinx_bin, const Workdir& dir, bool quick);

}  // namespace bench
