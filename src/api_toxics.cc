#include "api_toxics.h"

#include <cmath>

namespace jinx {

const ToxicType& noop_toxic_type() {
  // No stage: data passes untouched (Toxiproxy's noop, for clients that test
  // the API itself).
  static const ToxicType type{"noop", ToxicKind::stage, "passes data on untouched", {}};
  return type;
}

const ToxicType* find_api_toxic_type(std::string_view name) {
  if (name == "noop") return &noop_toxic_type();
  return find_toxic_type(name);
}

double api_unit_factor(const ToxicType& type, const AttrSpec& attr) {
  if (attr.unit == Unit::rate) return 1000;                         // Toxiproxy's KB/s
  if (type.name == "slicer" && attr.name == "delay") return 0.001;  // microseconds
  return 1;  // ms, bytes, probabilities: the registry's base units already
}

unsigned protocol_bit(ProxyProtocol protocol) {
  switch (protocol) {
    case ProxyProtocol::tcp:
      return kTcp;
    case ProxyProtocol::http:
      return kHttp;
    case ProxyProtocol::udp:
      return kUdp;
  }
  return kTcp;
}

nlohmann::ordered_json api_attributes(const ToxicType& type, const std::vector<double>& values,
                                      unsigned protocol) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (size_t i = 0; i < type.attrs.size() && i < values.size(); ++i) {
    const AttrSpec& a = type.attrs[i];
    if ((a.protocols & protocol) == 0) continue;
    if (a.unit == Unit::choice) {
      out[std::string(a.name)] = format_attr_value(a, values[i]);
      continue;
    }
    double v = values[i] / api_unit_factor(type, a);
    // Toxiproxy's attributes are integers; show whole numbers as such.
    if (a.unit != Unit::probability && std::nearbyint(v) == v && std::fabs(v) < 9e15) {
      out[std::string(a.name)] = static_cast<int64_t>(v);
    } else {
      out[std::string(a.name)] = v;
    }
  }
  return out;
}

namespace {

bool read_one(const ToxicType& type, const AttrSpec& a, const nlohmann::json& v, double* out,
              std::string* err) {
  std::string name(a.name);
  if (a.unit == Unit::choice) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      for (size_t c = 0; c < a.choices.size(); ++c) {
        if (a.choices[c] == s) {
          *out = static_cast<double>(c);
          return true;
        }
      }
    }
    std::string list;
    for (auto c : a.choices) list += (list.empty() ? "" : " | ") + std::string(c);
    *err = "attribute '" + name + "' must be one of " + list;
    return false;
  }
  if (!v.is_number()) {
    *err = "attribute '" + name + "' must be a number";
    return false;
  }
  double base = v.get<double>() * api_unit_factor(type, a);
  if (!std::isfinite(base) || base < a.min || base > a.max) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "attribute '%s' is out of range (%g..%g)", name.c_str(),
                  a.min / api_unit_factor(type, a), a.max / api_unit_factor(type, a));
    *err = buf;
    return false;
  }
  *out = base;
  return true;
}

}  // namespace

bool read_api_attributes(const ToxicType& type, const nlohmann::json& attributes, unsigned protocol,
                         std::vector<double>* values, std::string* err) {
  if (attributes.is_null()) return true;
  if (!attributes.is_object()) {
    *err = "attributes must be an object";
    return false;
  }
  for (const auto& [key, value] : attributes.items()) {
    int i = type.attr_index(key);
    // Toxiproxy ignores attributes its type does not have; so do we (and
    // those of another protocol).
    if (i < 0 || (type.attrs[static_cast<size_t>(i)].protocols & protocol) == 0) continue;
    if (!read_one(type, type.attrs[static_cast<size_t>(i)], value,
                  &(*values)[static_cast<size_t>(i)], err)) {
      return false;
    }
  }
  for (size_t i = 0; i < type.attrs.size(); ++i) {
    const AttrSpec& a = type.attrs[i];
    if ((*values)[i] < a.min) {
      *err = "attribute '" + std::string(a.name) + "' is required";
      return false;
    }
  }
  if (type.check != nullptr) {
    std::string_view culprit;
    std::string why = type.check(Settings(type, *values), &culprit);
    if (!why.empty()) {
      *err = why;
      return false;
    }
  }
  return true;
}

nlohmann::ordered_json api_toxic_json(const ToxicSpec& spec, const std::vector<double>& values,
                                      double toxicity, unsigned protocol) {
  nlohmann::ordered_json t;
  t["attributes"] = api_attributes(*spec.type, values, protocol);
  t["name"] = spec.name;
  t["type"] = spec.type->name;
  t["stream"] = spec.type->on_stream() ? stream_name(spec.stream) : "downstream";
  // Go writes a whole float32 without a fraction ("toxicity":1).
  if (toxicity == 0 || toxicity == 1) {
    t["toxicity"] = static_cast<int>(toxicity);
  } else {
    t["toxicity"] = toxicity;
  }
  return t;
}

}  // namespace jinx
