// api_bench.h — `jinx_bench api`: the control API's cost (issue 12). Relay
// throughput (1 stream, download) through a session that serves the API,
// with and without 100 API requests/s arriving (medians of `runs`
// alternating runs, and of their ratios), and the API's requests/s on one
// keep-alive connection (GET /proxies, one request in flight).
#pragma once

#include <string>

#include "relays.h"

namespace bench {

int run_api_bench(const std::string& jinx_bin, const Workdir& dir, bool quick, int runs);

}  // namespace bench
