// The table of toxic types: their attributes, units, defaults and meaning.
// The loader validates with it and `jinx toxics` prints it, so the two never
// disagree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jinx {

enum class Unit { duration, size, rate, probability, choice };

struct AttrSpec {
  std::string_view name;
  Unit unit;
  bool required;
  double default_value;  // in base units: ms for durations, bytes, bytes/s, 0..1
  std::string_view description;
  std::vector<std::string_view> choices = {};  // for Unit::choice; the value is the index
};

// Where a toxic acts: on the bytes of one direction of each connection
// (a pipeline stage), or on the proxy itself (its listener, its dialling).
enum class ToxicScope { stream, proxy };

struct ToxicType {
  std::string_view name;
  ToxicScope scope;
  std::string_view description;
  std::vector<AttrSpec> attrs;
  // Checks between attributes (slicer's variation < average): empty when
  // fine, else the message and, in *culprit, the attribute to point at.
  std::string (*check)(const std::vector<double>& values, size_t* culprit) = nullptr;

  const AttrSpec* find_attr(std::string_view attr) const;
  int attr_index(std::string_view attr) const;
};

const std::vector<ToxicType>& toxic_types();
const ToxicType* find_toxic_type(std::string_view name);

std::string_view unit_name(Unit unit);
// A value in base units as people read it ("250ms", "64KiB", "100000B/s").
std::string format_attr_value(const AttrSpec& attr, double value);

}  // namespace jinx
