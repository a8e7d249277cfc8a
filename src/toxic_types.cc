#include "toxic_types.h"

#include <cmath>
#include <cstdio>

namespace jinx {
namespace {

std::string check_slicer(const std::vector<double>& v, size_t* culprit) {
  // attrs: average_size, size_variation, delay
  if (v[0] < 1) {
    *culprit = 0;
    return "slicer 'average_size' must be at least 1 byte";
  }
  if (v[1] >= v[0]) {
    *culprit = 1;
    return "slicer 'size_variation' must be smaller than 'average_size'";
  }
  return {};
}

std::vector<ToxicType> make_table() {
  return {
      {"latency",
       ToxicScope::stream,
       "holds each chunk until its read time + latency +/- jitter, keeping order",
       {{"latency", Unit::duration, false, 0, "delay added to each chunk"},
        {"jitter", Unit::duration, false, 0, "uniform spread around latency (never below 0)"}}},
      {"bandwidth",
       ToxicScope::stream,
       "limits delivery to rate bytes/s; rate 0 holds all data until the window ends",
       {{"rate", Unit::rate, true, 0, "bytes per second delivered"},
        {"scope",
         Unit::choice,
         false,
         0,
         "connection: a budget per connection; proxy: one budget shared by all connections",
         {"connection", "proxy"}}}},
      {"slow_close",
       ToxicScope::stream,
       "passes the end of stream (FIN) on delay late",
       {{"delay", Unit::duration, true, 0, "how late the FIN is passed on"}}},
      {"timeout",
       ToxicScope::stream,
       "discards all data; closes the connection timeout after activation (0: never); "
       "connections that lost data are closed when the window ends",
       {{"timeout", Unit::duration, false, 0, "time before the connection is closed, 0 = never"}}},
      {"reset_peer",
       ToxicScope::stream,
       "resets both sides (TCP RST) timeout after the toxic became active on a connection",
       {{"timeout", Unit::duration, false, 0, "time before the reset"}}},
      {"slicer",
       ToxicScope::stream,
       "writes data in pieces of average_size +/- size_variation bytes, delay apart",
       {{"average_size", Unit::size, true, 0, "mean piece size"},
        {"size_variation", Unit::size, false, 0, "spread of piece sizes, < average_size"},
        {"delay", Unit::duration, false, 0, "pause between pieces"}},
       check_slicer},
      {"limit_data",
       ToxicScope::stream,
       "closes the connection once exactly bytes bytes have passed since activation",
       {{"bytes", Unit::size, true, 0, "bytes delivered before the close"}}},
      {"down",
       ToxicScope::proxy,
       "closes the listener (connections refused) and open connections; rebinds after",
       {}},
      {"stall",
       ToxicScope::stream,
       "holds all data, dropping nothing; it flows again in order when the window ends",
       {}},
      {"slow_open",
       ToxicScope::proxy,
       "connections accepted during the window dial their upstream delay late",
       {{"delay", Unit::duration, true, 0, "how late the upstream is dialled"}}},
      {"corrupt",
       ToxicScope::stream,
       "flips one random bit in each passing byte with the given probability",
       {{"probability", Unit::probability, true, 0, "chance that a byte is corrupted"}}},
  };
}

}  // namespace

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

const std::vector<ToxicType>& toxic_types() {
  static const std::vector<ToxicType> table = make_table();
  return table;
}

const ToxicType* find_toxic_type(std::string_view name) {
  for (const auto& type : toxic_types()) {
    if (type.name == name) return &type;
  }
  return nullptr;
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
      std::snprintf(buf, sizeof buf, "%g", value);
      break;
    case Unit::choice: {
      auto i = static_cast<size_t>(std::lround(value));
      return i < attr.choices.size() ? std::string(attr.choices[i]) : "?";
    }
  }
  return buf;
}

}  // namespace jinx
