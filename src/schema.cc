// The JSON Schema of scenario files. Each table's keys come from
// scenario_keys.h, each toxic's attributes from the toxic table. Draft-07 has
// no way to close an object across `allOf`, so a [[toxic]] lists every key any
// type takes (an unknown key is an error, as in the loader), and one if/then
// per type narrows the keys to that type's, with their units and defaults.
#include "schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "event_log.h"
#include "scenario_keys.h"

namespace jinx {
namespace {

// A decimal number as take_number() in units.cc reads it: "12", "1.5", ".5".
#define JINX_NUMBER "([0-9]+(\\.[0-9]*)?|\\.[0-9]+)"
#define JINX_DURATION "(" JINX_NUMBER "(us|ms|s|m|h))+"
#define JINX_SIZE_UNIT "(B|KB|MB|GB|KiB|MiB|GiB)"

std::string quote(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// Wrapped in allOf, so a description beside it is not ignored (draft-07
// ignores the siblings of "$ref").
std::string definition_ref(std::string_view definition) {
  return "{\"allOf\":[{\"$ref\":" + quote("#/definitions/" + std::string(definition)) + "}]}";
}

std::string string_list(const std::vector<std::string_view>& items) {
  std::string out = "[";
  for (auto item : items) out += (out.size() > 1 ? "," : "") + quote(item);
  return out + "]";
}

// The definition name of a value in `unit`, with ramps where the loader reads
// them (every numeric attribute, and toxicity).
std::string unit_definition(Unit unit) {
  return std::string(unit_name(unit)) + "_or_ramp";
}

// `schema` with a description and, if any, a default added.
std::string described(std::string schema, std::string_view description,
                      std::string_view default_json = {}) {
  schema.pop_back();  // the closing brace
  if (schema.size() > 1) schema += ",";
  schema += "\"description\":" + quote(description);
  if (!default_json.empty()) schema += ",\"default\":" + std::string(default_json);
  return schema + "}";
}

std::string attr_default_json(const CatalogAttr& a) {
  if (a.required) return {};
  if (a.unit == Unit::probability) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", a.default_value);
    return buf;
  }
  AttrSpec spec{a.name, a.unit, a.required, a.default_value, a.description, a.choices};
  return quote(format_attr_value(spec, a.default_value));
}

// A value of an attribute: a choice, a text, a table of texts, or a number. A
// yes/no choice (latency's reorder) also takes TOML's booleans, as the loader
// does.
std::string attr_value_schema(Unit unit, const std::vector<std::string_view>& choices) {
  switch (unit) {
    case Unit::choice:
      if (choices == std::vector<std::string_view>{"false", "true"})
        return "{\"enum\":[false,true,\"false\",\"true\"]}";
      return "{\"enum\":" + string_list(choices) + "}";
    case Unit::text:
      return "{\"type\":\"string\"}";
    case Unit::headers:
      return "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}";
    default:
      return definition_ref(unit_definition(unit));
  }
}

std::string attr_schema(const CatalogAttr& a) {
  std::string schema = attr_value_schema(a.unit, a.choices);
  return described(schema, a.description, attr_default_json(a));
}

std::string toxic_type_schema(const std::vector<CatalogType>& types) {
  // One constant per type, so editors show each type's description.
  std::string any_of;
  for (const auto& t : types) {
    any_of += (any_of.empty() ? "" : ",") + std::string("{\"const\":") + quote(t.name) +
              ",\"description\":" + quote(t.description) + "}";
  }
  return "{\"type\":\"string\",\"anyOf\":[" + any_of + "]}";
}

std::string key_schema(const KeySpec& key, const std::vector<CatalogType>& types) {
  std::string schema;
  switch (key.value) {
    case KeyValue::text:
      schema = "{\"type\":\"string\"}";
      break;
    case KeyValue::name:
      schema = "{\"type\":\"string\",\"pattern\":" + quote(name_pattern()) + "}";
      break;
    case KeyValue::address:
      schema = "{\"type\":\"string\",\"pattern\":" + quote(address_pattern()) + "}";
      break;
    case KeyValue::duration:
      schema = definition_ref("duration");
      break;
    case KeyValue::duration_range:
      schema = definition_ref("duration_range");
      break;
    case KeyValue::size:
      schema = definition_ref("size");
      break;
    case KeyValue::probability:
      schema = definition_ref(unit_definition(Unit::probability));
      break;
    case KeyValue::unsigned_integer:
      schema =
          "{\"anyOf\":[{\"type\":\"integer\",\"minimum\":0},"
          "{\"type\":\"string\",\"pattern\":\"^[0-9]{1,20}$\"}]}";
      break;
    case KeyValue::positive_integer:
      schema = "{\"type\":\"integer\",\"minimum\":1}";
      break;
    case KeyValue::choice:
      schema = "{\"enum\":" + string_list(key.choices) + "}";
      break;
    case KeyValue::http_match:
      schema =
          "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
          "\"method\":{\"type\":\"string\"},\"path\":{\"type\":\"string\"},"
          "\"header\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}}}";
      break;
    case KeyValue::toxic_type:
      schema = toxic_type_schema(types);
      break;
    case KeyValue::proxy_tables:
      schema = "{\"type\":\"array\",\"minItems\":1,\"items\":" + definition_ref("proxy") + "}";
      break;
    case KeyValue::toxic_tables:
      schema = "{\"type\":\"array\",\"items\":" + definition_ref("toxic") + "}";
      break;
  }
  return described(schema, key.description, key.default_json);
}

// A closed object of `keys`, plus `extra` members already rendered.
std::string table_schema(const std::vector<KeySpec>& keys, const std::vector<CatalogType>& types,
                         const std::string& extra_properties = {},
                         const std::string& extra_members = {}) {
  std::string properties;
  std::vector<std::string_view> required;
  for (const auto& k : keys) {
    properties += (properties.empty() ? "" : ",") + quote(k.name) + ":" + key_schema(k, types);
    if (k.required) required.push_back(k.name);
  }
  properties += extra_properties;
  return "{\"type\":\"object\",\"additionalProperties\":false,\"required\":" +
         string_list(required) + ",\"properties\":{" + properties + "}" + extra_members + "}";
}

// Every attribute name any type takes, for the toxic's closed key list. An
// attribute several types share keeps its unit if they agree on it.
std::string all_attr_properties(const std::vector<CatalogType>& types) {
  std::vector<std::string_view> seen;
  std::string out;
  for (const auto& t : types) {
    for (const auto& a : t.attrs) {
      if (std::find(seen.begin(), seen.end(), a.name) != seen.end()) continue;
      seen.push_back(a.name);
      bool same_unit = true;
      std::string meaning;
      for (const auto& other : types) {
        for (const auto& b : other.attrs) {
          if (b.name != a.name) continue;
          same_unit = same_unit && b.unit == a.unit && b.choices == a.choices;
          meaning += (meaning.empty() ? "" : "; ") + std::string(other.name) + ": " +
                     std::string(b.description);
        }
      }
      std::string schema = !same_unit ? "{}" : attr_value_schema(a.unit, a.choices);
      out += "," + quote(a.name) + ":" + described(schema, meaning);
    }
  }
  return out;
}

// if type = T then: T's attributes, the required ones, and only T's keys.
std::string type_rules(const std::vector<CatalogType>& types) {
  std::string rules;
  for (const auto& t : types) {
    std::vector<std::string_view> allowed;
    for (const auto& k : toxic_keys()) {
      if (toxic_key_applies(k.name, t.kind)) allowed.push_back(k.name);
    }
    std::string properties;
    std::vector<std::string_view> required;
    for (const auto& a : t.attrs) {
      allowed.push_back(a.name);
      properties += (properties.empty() ? "" : ",") + quote(a.name) + ":" + attr_schema(a);
      if (a.required) required.push_back(a.name);
    }
    rules += (rules.empty() ? "" : ",") +
             std::string("{\"if\":{\"required\":[\"type\"],\"properties\":{\"type\":{\"const\":") +
             quote(t.name) + "}}},\"then\":{\"properties\":{" + properties + "}" +
             (required.empty() ? "" : ",\"required\":" + string_list(required)) +
             ",\"propertyNames\":{\"enum\":" + string_list(allowed) + "}}}";
  }
  return rules;
}

std::string unit_definitions() {
  std::string out =
      "\"duration\":{\"type\":\"string\",\"pattern\":" + quote(unit_pattern(Unit::duration)) +
      ",\"description\":\"a duration with units us, ms, s, m, h: \\\"250ms\\\", \\\"1m30s\\\"\"}";
  out += ",\"duration_range\":{\"type\":\"string\",\"pattern\":" + quote(duration_range_pattern()) +
         ",\"description\":\"a duration, or a range \\\"10s..20s\\\" drawn from for each "
         "window\"}";
  out +=
      ",\"size\":{\"anyOf\":[{\"type\":\"integer\",\"minimum\":0},{\"type\":\"string\","
      "\"pattern\":" +
      quote(unit_pattern(Unit::size)) +
      "}],\"description\":\"bytes: an integer or \\\"64KiB\\\", \\\"1.5MB\\\"\"}";
  out +=
      ",\"rate\":{\"anyOf\":[{\"type\":\"integer\",\"minimum\":0},{\"type\":\"string\","
      "\"pattern\":" +
      quote(unit_pattern(Unit::rate)) +
      "}],\"description\":\"bytes per second: an integer or \\\"100KB/s\\\", "
      "\\\"8Mbit/s\\\"\"}";
  out +=
      ",\"probability\":{\"anyOf\":[{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
      "{\"type\":\"string\",\"pattern\":" +
      quote(unit_pattern(Unit::probability)) +
      "}],\"description\":\"a number in [0, 1] or a percentage \\\"5%\\\"\"}";
  out +=
      ",\"count\":{\"type\":\"number\",\"minimum\":0,\"description\":\"a plain number: "
      "datagrams, an HTTP status, requests per second\"}";
  for (Unit unit : {Unit::duration, Unit::size, Unit::rate, Unit::probability, Unit::count}) {
    std::string value = definition_ref(unit_name(unit));
    out += "," + quote(unit_definition(unit)) + ":{\"anyOf\":[" + value +
           ",{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"from\",\"to\"],"
           "\"properties\":{\"from\":" +
           value + ",\"to\":" + value +
           "},\"description\":\"a ramp: the value moves from 'from' to 'to' across each "
           "window\"}]}";
  }
  return out;
}

// Compact JSON to two-space indentation, for people who read the schema.
std::string indent(const std::string& json) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&] { out += "\n" + std::string(static_cast<size_t>(depth) * 2, ' '); };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\') {
        out += json[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    bool empty = i > 0 && (json[i - 1] == '{' || json[i - 1] == '[');
    if (c == '}' || c == ']') {
      if (!empty) {
        --depth;
        newline();
      }
      out += c;
    } else if (c == '{' || c == '[') {
      out += c;
      bool closes = i + 1 < json.size() && (json[i + 1] == '}' || json[i + 1] == ']');
      if (!closes) {
        ++depth;
        newline();
      }
    } else if (c == ',') {
      out += c;
      newline();
    } else if (c == ':') {
      out += ": ";
    } else {
      out += c;
      in_string = c == '"';
    }
  }
  return out + "\n";
}

}  // namespace

std::vector<CatalogType> toxic_catalog() {
  std::vector<CatalogType> catalog;
  for (const ToxicType* type : toxic_types()) {
    CatalogType entry{type->name, type->on_stream(), type->description, {}, type->kind};
    for (const auto& a : type->attrs) {
      entry.attrs.push_back(
          {a.name, a.unit, a.required, a.default_value, a.description, a.choices});
    }
    catalog.push_back(std::move(entry));
  }
  return catalog;
}

std::string_view unit_pattern(Unit unit) {
  switch (unit) {
    case Unit::duration:
      return "^" JINX_DURATION "$";
    case Unit::size:
      return "^" JINX_NUMBER JINX_SIZE_UNIT "?$";
    case Unit::rate:
      return "^" JINX_NUMBER "(" JINX_SIZE_UNIT "?|(k|K|M|G)?bit)/s$";
    case Unit::probability:
      // A percentage up to 100.
      return "^0*(100(\\.0*)?|[0-9]{1,2}(\\.[0-9]*)?|\\.[0-9]+)%$";
    case Unit::count:
      return "^[0-9]+$";
    case Unit::choice:
    case Unit::text:
    case Unit::headers:
      break;
  }
  return "^.*$";
}

std::string_view duration_range_pattern() {
  return "^" JINX_DURATION "(\\.\\." JINX_DURATION ")?$";
}

std::string_view name_pattern() {
  return "^[A-Za-z0-9_.-]{1,64}$";
}

std::string_view address_pattern() {
  // A host without colons or an [IPv6] address, then a port 0..65535.
  return "^([^:\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|"
         "65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";
}

std::string scenario_schema() {
  auto types = toxic_catalog();
  std::string toxic = table_schema(toxic_keys(), types, all_attr_properties(types),
                                   ",\"allOf\":[" + type_rules(types) + "]");
  std::string top = table_schema(top_level_keys(), types);
  top.pop_back();  // add the header and the definitions to the top-level table
  std::string json =
      "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"title\":\"jinx scenario\","
      "\"description\":" +
      quote("A jinx scenario file, jinx-scenario(5); generated by jinx " JINX_VERSION
            " (jinx schema)") +
      "," + top.substr(1) + ",\"definitions\":{" + unit_definitions() +
      ",\"proxy\":" + table_schema(proxy_keys(), types) + ",\"toxic\":" + toxic + "}}";
  return indent(json);
}

}  // namespace jinx
