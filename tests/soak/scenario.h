// The scenario the soak plays: N proxies, and a table of toxics that covers
// every toxic type, each switched on for a fraction of every second,
// staggered so that something changes every ~100 ms.
//
// The toxics are grouped in four roles, dealt to the proxies in turn
// (proxy i gets role i % 4; with fewer than four proxies a proxy carries
// several roles):
//   0 steady   only toxics that delay or reshape data (latency, bandwidth,
//              slicer, stall, slow_close, slow_open): every byte must arrive
//   1 noisy    corrupt downstream, with latency, a shared bandwidth budget,
//              slicer and stall
//   2 cutting  timeout, limit_data, reset_peer (partial toxicity), latency
//   3 flaky    down, timeout with a deadline, corrupt upstream, limit_data,
//              slow_open, bandwidth
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace soak {

struct ToxicPlan {
  std::string name;
  int proxy = 0;
  std::string type;
  std::string stream;   // "" for down and slow_open
  double toxicity = 1;  // 1 = always (not written)
  std::string attrs;    // TOML lines for the type's attributes
  int start_ms = 0;     // offset of the first window within each second
  int duration_ms = 0;  // window length; every window repeats each second
};

struct ScenarioPlan {
  int proxies = 0;
  int windows = 0;  // windows per toxic (one per second of load)
  std::vector<ToxicPlan> toxics;

  // The scenario file; upstreams[i] is proxy i's upstream "127.0.0.1:PORT".
  std::string toml(const std::vector<std::string>& upstreams) const;
  std::string proxy_name(int i) const { return "p" + std::to_string(i); }
  // Corrupt toxics on proxy p (either direction): the most bits one byte
  // may have flipped on a round trip through it.
  int corrupt_toxics(int p) const;
};

ScenarioPlan make_plan(int proxies, int load_seconds);

// Types whose meaning is to lose, cut or change bytes (SPEC 6).
bool alters_data(const std::string& type);

// Every type the soak must toggle.
const std::vector<std::string>& all_toxic_types();

}  // namespace soak
