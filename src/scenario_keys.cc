#include "scenario_keys.h"

namespace jinx {

const std::vector<KeySpec>& top_level_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", KeyValue::text, false, "what the scenario is about, shown in session_start"},
      {"duration", KeyValue::duration, false,
       "length of the session; absent or 0s = until Ctrl-C, SIGTERM or the COMMAND exits"},
      {"seed", KeyValue::unsigned_integer, false,
       "seed of every random draw; absent = random, reported in session_start"},
      {"api", KeyValue::address, false,
       "serve Toxiproxy's HTTP API on HOST:PORT (as --api does; --api wins)"},
      {"proxy", KeyValue::proxy_tables, true, "a listen/upstream pair; at least one"},
      {"toxic", KeyValue::toxic_tables, false, "a fault on one proxy and its schedule"},
  };
  return keys;
}

const std::vector<KeySpec>& proxy_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", KeyValue::name, true, "unique name; JINX_<NAME> carries its address"},
      {"listen", KeyValue::address, true,
       "host:port or [v6]:port to listen on; port 0 = any free port"},
      {"upstream", KeyValue::address, true,
       "host:port to relay to; the name is resolved for each new connection"},
      {"connect_timeout", KeyValue::duration, false, "how long dialling the upstream may take",
       "\"10s\""},
      {"buffer", KeyValue::size, false, "most bytes held per direction, toxics included",
       "\"32MiB\""},
      {"protocol",
       KeyValue::choice,
       false,
       "tcp | http | udp: what the proxy relays",
       "\"tcp\"",
       {"tcp", "http", "udp"}},
      {"idle_timeout", KeyValue::duration, false,
       "UDP: a flow ends after this long without a datagram either way", "\"60s\""},
      {"max_flows", KeyValue::positive_integer, false, "UDP: most flows open at once", "10000"},
  };
  return keys;
}

const std::vector<KeySpec>& toxic_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", KeyValue::name, false, "unique name; default <proxy>-<type>-<n>"},
      {"proxy", KeyValue::text, true, "name of the [[proxy]] it acts on"},
      {"type", KeyValue::toxic_type, true, "the kind of fault; see `jinx toxics`"},
      {"stream",
       KeyValue::choice,
       false,
       "downstream | upstream | both",
       "\"downstream\"",
       {"downstream", "upstream", "both"}},
      {"toxicity", KeyValue::probability, false,
       "chance the toxic applies to a connection's direction", "1"},
      {"match", KeyValue::http_match, false,
       "HTTP proxies: which requests, { method, path (glob), header = { NAME = VALUE } }"},
      {"first", KeyValue::positive_integer, false,
       "HTTP proxies: only the first N matching requests of each window"},
      {"nth", KeyValue::positive_integer, false, "HTTP proxies: only every Nth matching request"},
      {"ramp_step", KeyValue::duration, false, "how often a ramp moves its values (>= 10ms)",
       "\"1s\""},
      {"start", KeyValue::duration_range, false, "offset of the first window, or a range",
       "\"0s\""},
      {"duration", KeyValue::duration_range, false,
       "length of each window, or a range; absent = until the session ends"},
      {"every", KeyValue::duration, false, "period between window starts (>= duration)"},
      {"repeat", KeyValue::positive_integer, false,
       "number of windows; default unlimited with every, else 1"},
  };
  return keys;
}

bool per_stream_key(std::string_view key) {
  return key == "stream" || key == "toxicity";
}

bool toxic_key_applies(std::string_view key, ToxicKind kind) {
  if (key == "stream") return kind == ToxicKind::stage;
  if (key == "toxicity") return kind == ToxicKind::stage || kind == ToxicKind::request;
  if (key == "match" || key == "first" || key == "nth") {
    return kind == ToxicKind::request || kind == ToxicKind::stage;
  }
  return true;
}

std::vector<std::string_view> key_names(const std::vector<KeySpec>& keys) {
  std::vector<std::string_view> names;
  names.reserve(keys.size());
  for (const auto& k : keys) names.push_back(k.name);
  return names;
}

const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view name) {
  for (const auto& k : keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace jinx
