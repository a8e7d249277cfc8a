// suite.h — the measurement groups of `jinx_bench`, each run on one freshly
// started relay.
//
//   bulk      throughput 1 and 8 streams, both directions; CPU s per GiB;
//             peak RSS during the transfers
//   latency   64-byte ping-pong round trip p50 / p99
//   connrate  connect + one 64-byte round trip + close, sequential and 50
//             concurrent
//   idle      idle RSS; KiB per idle relayed connection at 1,000 and 10,000
//   toxics    jinx bulk throughput (and round trip) with a 0 ms and a 100 ms
//             latency toxic, and a 100GB/s bandwidth toxic, on both directions
//
// Figures are recorded in Results under the relay's label and the keys
// below, one value per run.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "net.h"
#include "relays.h"
#include "report.h"

namespace bench {

struct SuiteOptions {
  bool quick = false;
  int runs = 3;
  std::set<std::string> groups;                 // which groups run
  double bulk_warmup = 0.3, bulk_window = 2.0;  // seconds per bulk figure
  double ping_seconds = 1.0;
  int ping_max = 20000;
  double churn_seconds = 1.5;
  std::vector<size_t> idle_counts = {1000, 10000};
  double idle_deadline = 60;  // seconds to open all idle connections
};

// One bulk configuration: "1 stream, upload" and so on; key "bulk_1_up".
struct BulkConfig {
  int streams;
  bool upload;
  std::string key() const { return "bulk_" + std::to_string(streams) + (upload ? "_up" : "_down"); }
};
std::vector<BulkConfig> all_bulk_configs();

// Figure keys besides the bulk ones.
inline const char* kCpuPerGib = "cpu_s_per_gib";
inline const char* kPeakRssMib = "peak_rss_mib";
inline const char* kBulkGib = "bulk_gib";
inline const char* kRttP50 = "rtt_p50_us";
inline const char* kRttP99 = "rtt_p99_us";
inline const char* kConnSeq = "conn_seq";
inline const char* kConn50 = "conn_50";
inline const char* kIdleRssMib = "idle_rss_mib";
std::string kib_per_conn_key(size_t n);  // "kib_conn_1000"

// Runs one group against `relay`, which is already started in front of
// `upstream`. Progress goes to stderr. false + err if a measurement failed.
bool measure_group(const std::string& group, Relay& relay, EpollServer& upstream,
                   const SuiteOptions& opt, Results& results, std::string* err);

// The bulk configurations a toxic variant is measured with: the 0 ms
// latency toxic all four, the others on one stream (issue 5's and issue
// 11's figures).
std::vector<BulkConfig> toxic_bulk_configs(const std::string& label);
// Whether a toxic variant's round trip is measured too (all but the 100 ms
// latency, whose round trips are too few in the time given).
bool toxic_ping(const std::string& label);

}  // namespace bench
