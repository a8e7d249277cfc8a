// The keys of a scenario file (SPEC 2, 4): the top level, [[proxy]] and the
// keys every [[toxic]] takes (a toxic's own attributes come from its type).
// The loader rejects every key not listed here, and `jinx schema` describes
// each one from here, so the two never disagree.
#pragma once

#include <string_view>
#include <vector>

#include "toxic_types.h"

namespace jinx {

// What a key's value is, as the loader reads it.
enum class KeyValue {
  text,              // any string
  name,              // [A-Za-z0-9_.-]{1,64}
  address,           // host:port or [v6]:port
  duration,          // "250ms"
  duration_range,    // "250ms" or "10s..20s"
  size,              // bytes: an integer or "64KiB"
  probability,       // 0..1 or "5%", may ramp
  unsigned_integer,  // 0..2^64-1, an integer or a string of digits
  positive_integer,  // 1, 2, ...
  choice,            // one of `choices`
  http_match,        // { method = "...", path = "GLOB", header = { NAME = "VALUE" } }
  toxic_type,        // a name from the toxic table
  proxy_tables,      // [[proxy]]
  toxic_tables,      // [[toxic]]
};

struct KeySpec {
  std::string_view name;
  KeyValue value;
  bool required;
  std::string_view description;
  // The default as a JSON value ("\"10s\"", "1"); empty when there is none.
  std::string_view default_json = {};
  std::vector<std::string_view> choices = {};
};

const std::vector<KeySpec>& top_level_keys();
const std::vector<KeySpec>& proxy_keys();
// Keys of every [[toxic]]; `per_stream` marks those only toxics that act on
// a connection's bytes take (not `down` or `slow_open`, which act on the proxy).
const std::vector<KeySpec>& toxic_keys();
bool per_stream_key(std::string_view key);
// Whether a toxic of `kind` takes the common key `key` (stream: byte stages;
// toxicity: stages and request toxics; match, first, nth: request toxics).
bool toxic_key_applies(std::string_view key, ToxicKind kind);

std::vector<std::string_view> key_names(const std::vector<KeySpec>& keys);
const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view name);

}  // namespace jinx
