// `jinx schema`: a JSON Schema (draft-07, what taplo checks best) of the
// scenario format, built from the loader's key tables (scenario_keys.h) and
// the toxic table, so editors check a file as the loader would.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "toxic_types.h"

namespace jinx {

// What the schema and the completions need to know of one toxic type.
struct CatalogAttr {
  std::string_view name;
  Unit unit;
  bool required;
  double default_value;  // base units, as in `jinx toxics`; ignored when required
  std::string_view description;
  std::vector<std::string_view> choices;
};
struct CatalogType {
  std::string_view name;
  bool per_stream;  // takes `stream` and `toxicity` (acts on a connection's bytes)
  std::string_view description;
  std::vector<CatalogAttr> attrs;
  ToxicKind kind = ToxicKind::stage;
};
// The toxic types, read from the toxic table: the one place that knows its shape.
std::vector<CatalogType> toxic_catalog();

// The regular expression (ECMA/Rust syntax, anchored) a string in `unit`
// must match: "250ms", "64KiB", "100KB/s", "5%".
std::string_view unit_pattern(Unit unit);
// Durations, or a range "10s..20s".
std::string_view duration_range_pattern();
// Proxy and toxic names; host:port addresses.
std::string_view name_pattern();
std::string_view address_pattern();

// The schema, as indented JSON.
std::string scenario_schema();

// jinx schema
int schema_command();

}  // namespace jinx
