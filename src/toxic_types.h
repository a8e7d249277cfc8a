// The toxic registry: one registration per toxic, made in the toxic's own
// file under src/toxics/ (its name, meaning, attributes, kind, protocols and
// factory). The loader validates with it, `jinx toxics` prints it, and stages
// read their settings through it by attribute name, so none of them can
// disagree. Adding a toxic is one file plus its tests, and one line in the
// list in toxic_types.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "random.h"
#include "units.h"

namespace jinx {

class Stage;
class DatagramStage;
struct DatagramParams;

// count: a plain number (datagrams, an HTTP status, requests per second), not
// a size in bytes; text: a string; headers: a table of strings (both only on
// request toxics).
enum class Unit { duration, size, rate, probability, choice, count, text, headers };

struct AttrSpec {
  std::string_view name;
  Unit unit;
  bool required;
  double default_value;  // in base units: ms for durations, bytes, bytes/s, 0..1
  std::string_view description;
  std::vector<std::string_view> choices = {};  // for Unit::choice; the value is the index
  // The range allowed, in base units, checked at both ends of a ramp.
  double min = 0;
  double max = 1e18;
  // The proxies it may be given on (latency's `reorder` is for UDP only).
  unsigned protocols = ~0U;
  // Whether { from = X, to = Y } is allowed (every number; not a choice).
  bool rampable() const { return numeric() && unit != Unit::choice; }
  bool numeric() const { return unit != Unit::text && unit != Unit::headers; }
};

// What a toxic acts on: the bytes of one direction of each connection (a
// pipeline stage), or the proxy itself: its listener (down) or its dialling
// (slow_open), or the requests of an HTTP proxy (request: it adds to each
// picked request's HttpPlan). The proxy switches on it; nothing compares
// type names.
enum class ToxicKind { stage, down, slow_open, request };

// The protocols a toxic (or one of its attributes) applies to, as bits: a
// proxy's `protocol` must be one.
enum Protocol : unsigned { kTcp = 1U << 0, kHttp = 1U << 1, kUdp = 1U << 2 };

// One direction's delivery budget shared by every connection of a proxy
// (bandwidth with scope = "proxy"). Owned by the active toxic, which removes
// its stages before it goes away.
struct SharedBudget {
  double next_free = 0;  // session time (us) when the next piece may leave
};

struct ToxicType;
struct HttpPlan;
struct RequestToxicInput;

// Attribute values in base units, indexed like the type's attributes, read by
// name and in their unit: stages never index attrs[0..2] themselves.
class Settings {
 public:
  Settings(const ToxicType& type, const std::vector<double>& values)
      : type_(type), values_(values) {}
  double number(std::string_view attr) const;  // base units
  Micros duration(std::string_view attr) const;
  uint64_t size(std::string_view attr) const;
  double rate(std::string_view attr) const { return number(attr); }
  double probability(std::string_view attr) const { return number(attr); }
  // The chosen string of a Unit::choice attribute.
  std::string_view choice(std::string_view attr) const;

 private:
  const ToxicType& type_;
  const std::vector<double>& values_;
};

struct StageParams {
  const ToxicType& type;
  const std::vector<double>& attrs;  // base units, indexed like type.attrs
  Rng rng;
  SharedBudget* budget = nullptr;  // always offered; the stage decides whether to use it

  Settings settings() const { return Settings(type, attrs); }
};

struct ToxicType {
  std::string_view name;
  ToxicKind kind;
  std::string_view description;
  std::vector<AttrSpec> attrs;
  unsigned protocols = kTcp;
  // Builds the stage of a stage toxic; nullptr for proxy-level kinds.
  std::unique_ptr<Stage> (*make)(const StageParams&) = nullptr;

  // Checks between attributes (slicer's variation < average): empty when
  // fine, else the message and, in *culprit, the attribute to point at.
  std::string (*check)(const Settings& values, std::string_view* culprit) = nullptr;
  // Builds the stage on one direction of a UDP flow (datagram_stage.h), for
  // a stage toxic that applies to UDP; the same name serves both protocols.
  std::unique_ptr<DatagramStage> (*make_datagram)(const DatagramParams&) = nullptr;
  // Adds a request toxic's effect to the plan of a request it picked; false
  // when it let the request be (a rate limit under its rate).
  bool (*plan_request)(const RequestToxicInput&, HttpPlan*) = nullptr;

  bool on_stream() const { return kind == ToxicKind::stage; }
  const AttrSpec* find_attr(std::string_view attr) const;
  int attr_index(std::string_view attr) const;
};

// Every toxic, in the order `jinx toxics` lists them.
const std::vector<const ToxicType*>& toxic_types();
const ToxicType* find_toxic_type(std::string_view name);

std::string_view unit_name(Unit unit);
// A value in base units as people read it ("250ms", "64KiB", "100000B/s").
std::string format_attr_value(const AttrSpec& attr, double value);

}  // namespace jinx
