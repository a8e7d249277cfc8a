// Toxics as the control API speaks of them (SPEC 10): Toxiproxy's JSON shape
// {name, type, stream, toxicity, attributes} and Toxiproxy's attribute units.
//
// The one place that says how an API attribute maps to a stage's setting:
// every attribute is the registry's (toxic_types.h), by the same name; only
// the unit differs where Toxiproxy's does (bandwidth `rate` in KB/s, slicer
// `delay` in microseconds). jinx's own types take their attributes in base
// units: durations in ms, sizes in bytes, rates in bytes/s.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scenario.h"
#include "toxic_types.h"

namespace jinx {

// The registry's types, and Toxiproxy's `noop`, which only the API offers.
const ToxicType* find_api_toxic_type(std::string_view name);
const ToxicType& noop_toxic_type();

// How many base units one API unit of `attr` is (rate: 1000, slicer delay: 0.001).
double api_unit_factor(const ToxicType& type, const AttrSpec& attr);

// The Protocol bit of a proxy's protocol.
unsigned protocol_bit(ProxyProtocol protocol);

// The `attributes` object, in API units, from values in base units: those
// of the attributes that apply to `protocol` (a Protocol bit).
nlohmann::ordered_json api_attributes(const ToxicType& type, const std::vector<double>& values,
                                      unsigned protocol);

// Reads an `attributes` object (API units) over *values (base units, the
// defaults or the current ones); checks each value's range and the type's own
// check. False with a message naming the attribute.
bool read_api_attributes(const ToxicType& type, const nlohmann::json& attributes, unsigned protocol,
                         std::vector<double>* values, std::string* err);

// The toxic as Toxiproxy shows it.
nlohmann::ordered_json api_toxic_json(const ToxicSpec& spec, const std::vector<double>& values,
                                      double toxicity, unsigned protocol);

}  // namespace jinx
