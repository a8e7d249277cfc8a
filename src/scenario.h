// The scenario model (SPEC 2, 4): what a loaded, validated file says.
// Everything here is in base units and already checked; the loader builds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "toxic_types.h"
#include "units.h"

namespace jinx {

struct SourcePos {
  uint32_t line = 0;
  uint32_t column = 0;
};

// What a proxy relays (SPEC 2, 11, 12): TCP byte streams, HTTP requests, or
// UDP datagrams in flows.
enum class ProxyProtocol { tcp, http, udp };

struct ProxySpec {
  std::string name;
  ProxyProtocol protocol = ProxyProtocol::tcp;
  std::string listen_host;  // without brackets for IPv6
  uint16_t listen_port = 0;
  std::string upstream_host;
  uint16_t upstream_port = 0;
  Micros connect_timeout = 10 * kMicrosPerSecond;
  uint64_t buffer = 32ULL * 1024 * 1024;
  // UDP only: a flow ends after this long without a datagram either way, and
  // at most max_flows are open at once.
  Micros idle_timeout = 60 * kMicrosPerSecond;
  uint64_t max_flows = 10000;
  SourcePos pos;
};

// A numeric value that is either fixed or ramps linearly across each window.
struct Param {
  double from = 0;
  double to = 0;
  bool ramp = false;

  double at(double fraction) const { return ramp ? from + (to - from) * fraction : from; }
};

// A duration fixed or drawn uniformly from [lo, hi] for each window.
struct DurationRange {
  Micros lo = 0;
  Micros hi = 0;
};

struct Schedule {
  DurationRange start;
  std::optional<DurationRange> duration;  // absent: until the session ends
  std::optional<Micros> every;
  std::optional<uint64_t> repeat;  // absent: unlimited with every, else 1
};

enum class Stream { upstream, downstream, both };
// One direction of a connection: upstream = client -> upstream.
enum class Direction { upstream = 0, downstream = 1 };

const char* stream_name(Stream s);

// Which requests a toxic of an HTTP proxy acts on (SPEC 11); every part
// given must hold. Empty parts match anything.
struct HttpMatch {
  std::string method;
  std::string path;  // a glob: * any characters, / included; ? one
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
};

struct ToxicSpec {
  std::string name;
  size_t proxy = 0;  // index into Scenario::proxies
  const ToxicType* type = nullptr;
  Stream stream = Stream::downstream;
  Param toxicity{1, 1, false};
  std::vector<Param> attrs;  // indexed like type->attrs
  // Text attributes (Unit::text; Unit::headers as "Name: value\r\n" lines),
  // indexed like type->attrs; empty for numeric ones.
  std::vector<std::string> texts;
  std::optional<HttpMatch> match;
  uint64_t first = 0;  // act on the first N matching requests of each window (0: unset)
  uint64_t nth = 0;    // act on every Nth matching request (0: unset)
  // A byte-level toxic with match, first or nth (on an HTTP proxy): its bit
  // in Chunk::picks, unique on its proxy (match_gate.h); -1 otherwise.
  int match_bit = -1;
  Schedule schedule;
  Micros ramp_step = kMicrosPerSecond;
  size_t order = 0;  // position in the file, which is the order of stages
  SourcePos pos;

  bool has_ramp() const;
  bool applies_to(Direction d) const;
};

struct Scenario {
  std::string file;  // as given on the command line, "<stdin>" for -
  std::string name;
  std::optional<Micros> duration;  // absent: until stopped
  std::optional<uint64_t> seed;    // absent: random
  std::string api;                 // `api = "HOST:PORT"`: serve the control API (SPEC 10)
  std::vector<ProxySpec> proxies;
  std::vector<ToxicSpec> toxics;
};

}  // namespace jinx
