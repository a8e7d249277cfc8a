#include "toxic_types.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace jinx {

// Each registration lives in its toxic's file under src/toxics/. The list is
// explicit, not built by static constructors: jinxcore is a static library,
// whose unreferenced object files the linker would drop.
const ToxicType& latency_toxic();
const ToxicType& bandwidth_toxic();
const ToxicType& slow_close_toxic();
const ToxicType& timeout_toxic();
const ToxicType& reset_peer_toxic();
const ToxicType& slicer_toxic();
const ToxicType& limit_data_toxic();
const ToxicType& down_toxic();
const ToxicType& stall_toxic();
const ToxicType& slow_open_toxic();
const ToxicType& corrupt_toxic();
const ToxicType& loss_toxic();
const ToxicType& duplicate_toxic();
const ToxicType& reorder_toxic();
const ToxicType& http_error_toxic();
const ToxicType& http_delay_toxic();
const ToxicType& http_abort_toxic();
const ToxicType& http_rate_limit_toxic();

const std::vector<const ToxicType*>& toxic_types() {
  static const std::vector<const ToxicType*> all = {
      &latency_toxic(),    &bandwidth_toxic(),       &slow_close_toxic(), &timeout_toxic(),
      &reset_peer_toxic(), &slicer_toxic(),          &limit_data_toxic(), &down_toxic(),
      &stall_toxic(),      &slow_open_toxic(),       &corrupt_toxic(),    &loss_toxic(),
      &duplicate_toxic(),  &reorder_toxic(),         &http_error_toxic(), &http_delay_toxic(),
      &http_abort_toxic(), &http_rate_limit_toxic(),
  };
  return all;
}

const ToxicType* find_toxic_type(std::string_view name) {
  for (const ToxicType* type : toxic_types()) {
    if (type->name == name) return type;
  }
  return nullptr;
}

const AttrSpec* ToxicType::find_attr(std::string_view attr) const {
  int i = attr_index(attr);
  return i < 0 ? nullptr : &attrs[static_cast<size_t>(i)];
}

int ToxicType::attr_index(std::string_view attr) const {
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (attrs[i].name == attr) return static_cast<int>(i);
  }
  return -1;
}

double Settings::number(std::string_view attr) const {
  int i = type_.attr_index(attr);
  if (i < 0 || static_cast<size_t>(i) >= values_.size()) {
    // A name the registration does not have is a bug in the toxic's file:
    // stop at once (the registry test builds every stage), never read junk.
    std::fprintf(stderr, "jinx: toxic '%.*s' has no attribute '%.*s'\n",
                 static_cast<int>(type_.name.size()), type_.name.data(),
                 static_cast<int>(attr.size()), attr.data());
    std::abort();
  }
  return values_[static_cast<size_t>(i)];
}

Micros Settings::duration(std::string_view attr) const {
  return static_cast<Micros>(std::llround(number(attr) * kMicrosPerMs));
}

uint64_t Settings::size(std::string_view attr) const {
  double v = number(attr);
  return v <= 0 ? 0 : static_cast<uint64_t>(v);
}

std::string_view Settings::choice(std::string_view attr) const {
  const AttrSpec* spec = type_.find_attr(attr);
  auto i = static_cast<size_t>(std::lround(number(attr)));
  return spec != nullptr && i < spec->choices.size() ? spec->choices[i] : std::string_view();
}

std::string_view unit_name(Unit unit) {
  switch (unit) {
    case Unit::duration:
      return "duration";
    case Unit::size:
      return "size";
    case Unit::rate:
      return "rate";
    case Unit::probability:
      return "probability";
    case Unit::choice:
      return "choice";
    case Unit::count:
      return "count";
    case Unit::text:
      return "text";
    case Unit::headers:
      return "headers";
  }
  return "?";
}

std::string format_attr_value(const AttrSpec& attr, double value) {
  char buf[64];
  switch (attr.unit) {
    case Unit::duration:
      std::snprintf(buf, sizeof buf, "%gms", value);
      break;
    case Unit::size:
      std::snprintf(buf, sizeof buf, "%.0fB", value);
      break;
    case Unit::rate:
      std::snprintf(buf, sizeof buf, "%.0fB/s", value);
      break;
    case Unit::probability:
    case Unit::count:
      std::snprintf(buf, sizeof buf, "%g", value);
      break;
    case Unit::text:
    case Unit::headers:
      return {};  // the text is in ToxicSpec::texts
    case Unit::choice: {
      auto i = static_cast<size_t>(std::lround(value));
      return i < attr.choices.size() ? std::string(attr.choices[i]) : "?";
    }
  }
  return buf;
}

}  // namespace jinx
