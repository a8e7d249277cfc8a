// The [[toxic]] tables of a scenario (SPEC 2, 5, 11): the type, the keys
// it takes on its proxy's protocol, its attributes, name and schedule.
#include <algorithm>
#include <string>

#include "address.h"
#include "loader_http.h"
#include "loader_walk.h"
#include "scenario_keys.h"
#include "schedule.h"
#include "suggest.h"

namespace jinx {
namespace {

const std::vector<std::string_view> kToxicKeys = key_names(toxic_keys());

// The registry's bit for a proxy's protocol, and its name in messages.
unsigned protocol_bit(ProxyProtocol p) {
  return p == ProxyProtocol::udp ? kUdp : p == ProxyProtocol::http ? kHttp : kTcp;
}
std::string protocol_label(ProxyProtocol p) {
  return p == ProxyProtocol::udp ? "UDP" : p == ProxyProtocol::http ? "HTTP" : "TCP";
}

// A toxic on a proxy of another protocol, or an attribute its protocol does
// not take (latency's reorder is for UDP, bandwidth's scope for TCP).
// A toxic made for one protocol names the setting that would let it act.
std::string protocol_hint(const ToxicType& type) {
  if (type.protocols == kHttp) return "; set protocol = \"http\" on the proxy";
  if (type.protocols == kUdp) return "; set protocol = \"udp\" on the proxy";
  return "";
}

}  // namespace

const ProxySpec* Loader::toxic_proxy(const toml::table& t, const Scenario& s) {
  // Silent: load_target reports a missing or misspelt proxy.
  const toml::node* n = t.get("proxy");
  if (n == nullptr || !n->is_string()) return nullptr;
  auto it = proxy_index_.find(n->as_string()->get());
  return it == proxy_index_.end() ? nullptr : &s.proxies[it->second];
}

void Loader::check_protocol(const toml::table& t, const ToxicSpec& toxic, const Scenario& s) {
  const ProxySpec* found = toxic_proxy(t, s);
  if (toxic.type == nullptr || found == nullptr) return;
  const ProxySpec& proxy = *found;
  unsigned bit = protocol_bit(proxy.protocol);
  const ToxicType& type = *toxic.type;
  if ((type.protocols & bit) == 0) {
    std::string fits;
    for (const ToxicType* known : toxic_types()) {
      if ((known->protocols & bit) != 0)
        fits += (fits.empty() ? "" : ", ") + std::string(known->name);
    }
    error(*t.get("type"), "toxic type '" + std::string(type.name) + "' does not apply to " +
                              protocol_label(proxy.protocol) + " proxy '" + proxy.name + "'; on " +
                              protocol_label(proxy.protocol) + ": " + fits + protocol_hint(type));
    return;
  }
  for (const auto& a : type.attrs) {
    if ((a.protocols & bit) != 0 || t.get(a.name) == nullptr) continue;
    error(*t.get(a.name), std::string(type.name) + " '" + std::string(a.name) +
                              "' does not apply on " + protocol_label(proxy.protocol) + " proxy '" +
                              proxy.name + "'");
  }
}

void Loader::load_schedule(const toml::table& t, ToxicSpec& toxic) {
  Schedule& s = toxic.schedule;
  if (const toml::node* n = t.get("start")) {
    if (auto r = to_range(*n, "start")) s.start = *r;
  }
  if (const toml::node* n = t.get("duration")) {
    if (auto r = to_range(*n, "duration")) s.duration = *r;
  }
  if (const toml::node* n = t.get("every")) {
    if (auto d = to_duration(*n, "every")) {
      if (*d < kMicrosPerMs) {
        error(*n, "every must be at least 1ms");
      } else {
        s.every = *d;
      }
    }
  }
  if (const toml::node* n = t.get("repeat")) {
    if (auto count = to_count(*n, "repeat", "windows")) s.repeat = *count;
  }
  if (const toml::node* n = t.get("ramp_step")) {
    if (auto d = to_duration(*n, "ramp_step")) {
      if (*d < 10 * kMicrosPerMs) error(*n, "ramp_step must be at least 10ms");
      toxic.ramp_step = *d;
    }
  }
}

void Loader::check_schedule(const toml::table& t, const ToxicSpec& toxic, const Scenario& s) {
  const Schedule& sc = toxic.schedule;
  // Rules between keys apply only when each key is present: a key that is
  // there but invalid already has its own error.
  if (sc.every && t.get("duration") == nullptr) {
    error(*t.get("every"),
          "every needs a window 'duration': a window without one lasts until "
          "the session ends, so the next could never start");
  } else if (sc.every && sc.duration) {
    // Windows of one toxic never overlap, even with ranged starts and lengths.
    Micros longest = sc.duration->hi + (sc.start.hi - sc.start.lo);
    if (longest > *sc.every) {
      std::string what =
          sc.start.hi > sc.start.lo
              ? "the longest window plus the spread of 'start' (" + format_duration(longest) + ")"
              : "the window duration (" + format_duration(longest) + ")";
      error(*t.get("every"), "every (" + format_duration(*sc.every) + ") must be at least " + what);
    }
  }
  if (sc.repeat && *sc.repeat > 1 && t.get("every") == nullptr) {
    error(*t.get("repeat"), "repeat needs 'every' to space the windows");
  }
  if (toxic.has_ramp() && t.get("duration") == nullptr) {
    // Point at the first ramp.
    SourcePos at = pos_of(t.source());
    if (toxic.toxicity.ramp) at = pos_of(t.get("toxicity")->source());
    for (size_t i = 0; i < toxic.attrs.size() && !toxic.toxicity.ramp; ++i) {
      if (toxic.attrs[i].ramp) {
        at = pos_of(t.get(toxic.type->attrs[i].name)->source());
        break;
      }
    }
    error(at, "toxic '" + toxic.name +
                  "' ramps a value, which needs a window 'duration' to ramp across");
  }
  if (s.duration) {
    auto first = window_at(toxic, 0, 0, std::nullopt);
    if (first && sc.start.lo >= *s.duration) {
      warning(pos_of(t.get("start") ? t.get("start")->source() : t.source()),
              "toxic '" + toxic.name + "' starts at or after the scenario ends (" +
                  format_duration(*s.duration) + "); it never runs");
    } else if (sc.repeat && sc.every) {
      // Only when the product cannot overflow: a start past ~290,000 years is
      // past any duration anyway, and the check below is just a courtesy.
      bool small = *sc.repeat - 1 < static_cast<uint64_t>(INT64_MAX / 4 / *sc.every);
      Micros last_start =
          small ? sc.start.lo + static_cast<Micros>(*sc.repeat - 1) * *sc.every : INT64_MAX;
      if (last_start >= *s.duration) {
        warning(pos_of(t.get("repeat")->source()),
                "toxic '" + toxic.name + "': windows starting after the scenario ends (" +
                    format_duration(*s.duration) + ") are dropped");
      }
    }
  }
}

const ToxicType* Loader::load_type(const toml::table& t, SourcePos pos) {
  auto type_name = get_string(t, "type", "[[toxic]]");
  if (!type_name) {
    if (t.get("type") == nullptr) error(pos, "[[toxic]] needs a 'type'; see `jinx toxics`");
    return nullptr;
  }
  const ToxicType* type = find_toxic_type(*type_name);
  if (type == nullptr) {
    std::vector<std::string_view> names;
    for (const ToxicType* known : toxic_types()) names.push_back(known->name);
    std::string message = "unknown toxic type '" + *type_name + "'";
    auto hint = nearest(*type_name, names);
    message += hint.empty() ? "; see `jinx toxics`" : "; did you mean '" + hint + "'?";
    error(*t.get("type"), message);
  }
  return type;
}

void Loader::check_toxic_keys(const toml::table& t, const ToxicType* type) {
  // The common keys plus the type's attributes; without a known type, every
  // attribute of every type.
  std::vector<std::string_view> allowed = kToxicKeys;
  for (const ToxicType* known : toxic_types()) {
    if (type != nullptr && known != type) continue;
    for (const auto& a : known->attrs) allowed.push_back(a.name);
  }
  check_keys(t, allowed, "[[toxic]]");
  if (type == nullptr) return;
  for (std::string_view k : {"stream", "toxicity", "match", "first", "nth"}) {
    if (t.get(k) == nullptr || toxic_key_applies(k, type->kind)) continue;
    std::string why = type->kind == ToxicKind::request ? "it acts on whole requests"
                                                       : "it acts on the whole proxy";
    error(*t.get(k),
          "toxic type '" + std::string(type->name) + "' takes no '" + std::string(k) + "': " + why);
  }
}

void Loader::load_target(const toml::table& t, ToxicSpec& toxic, const Scenario& s) {
  auto proxy_name = get_string(t, "proxy", "[[toxic]]");
  if (!proxy_name) {
    if (t.get("proxy") == nullptr) error(toxic.pos, "[[toxic]] needs a 'proxy'");
  } else if (auto it = proxy_index_.find(*proxy_name); it != proxy_index_.end()) {
    toxic.proxy = it->second;
  } else {
    std::vector<std::string_view> names;
    for (const auto& p : s.proxies) names.push_back(p.name);
    std::string message = "no proxy named '" + clip(*proxy_name) + "'";
    auto hint = nearest(*proxy_name, names);
    if (!hint.empty()) message += "; did you mean '" + hint + "'?";
    error(*t.get("proxy"), message);
  }
  if (auto stream = get_string(t, "stream", "[[toxic]]")) {
    if (*stream == "downstream")
      toxic.stream = Stream::downstream;
    else if (*stream == "upstream")
      toxic.stream = Stream::upstream;
    else if (*stream == "both")
      toxic.stream = Stream::both;
    else
      error(*t.get("stream"), "stream must be 'downstream', 'upstream' or 'both'");
  }
  if (const toml::node* n = t.get("toxicity")) {
    if (auto p = to_param(*n, Unit::probability, "toxicity")) toxic.toxicity = *p;
  }
}

// One attribute's value, or its default; false when it is missing or invalid.
bool Loader::load_attr(const toml::table& t, const ToxicSpec& toxic, const AttrSpec& a,
                       Param* value) {
  *value = Param{a.default_value, a.default_value, false};
  const toml::node* n = t.get(a.name);
  if (n == nullptr) {
    if (!a.required) return true;
    error(toxic.pos, "toxic type '" + std::string(toxic.type->name) + "' needs '" +
                         std::string(a.name) + "' (" + std::string(a.description) + ")");
    return false;
  }
  if (n->is_table() && !a.rampable()) {
    error(*n, std::string(a.name) + " cannot ramp");
    return false;
  }
  if (a.unit != Unit::choice) {
    auto p = to_param(*n, a.unit, a.name);
    if (p) *value = *p;
    return p.has_value();
  }
  if (n->is_boolean() && a.choices == std::vector<std::string_view>{"false", "true"}) {
    *value = Param{*n->value<bool>() ? 1.0 : 0.0, *n->value<bool>() ? 1.0 : 0.0, false};
    return true;
  }
  auto text = get_string(t, a.name, "[[toxic]]");
  if (!text) return false;
  auto it = std::find(a.choices.begin(), a.choices.end(), *text);
  if (it == a.choices.end()) {
    std::string list;
    for (auto c : a.choices) list += (list.empty() ? "'" : ", '") + std::string(c) + "'";
    error(*n, std::string(a.name) + " must be one of " + list);
    return false;
  }
  auto index = static_cast<double>(it - a.choices.begin());
  *value = Param{index, index, false};
  return true;
}

// The registration's rules on the values: each attribute's range, then the
// rules between attributes. Values ramp linearly together, so a rule that
// holds at both ends of the ramps holds all along (issue 9 #12).
void Loader::check_attrs(const toml::table& t, const ToxicSpec& toxic) {
  const ToxicType& type = *toxic.type;
  auto at = [&](std::string_view attr) {
    const toml::node* n = t.get(attr);
    return n != nullptr ? pos_of(n->source()) : toxic.pos;
  };
  for (size_t i = 0; i < type.attrs.size(); ++i) {
    const AttrSpec& a = type.attrs[i];
    double lo = std::min(toxic.attrs[i].from, toxic.attrs[i].to);
    double hi = std::max(toxic.attrs[i].from, toxic.attrs[i].to);
    std::string what = std::string(type.name) + " '" + std::string(a.name) + "' must be at ";
    if (lo < a.min) {
      error(at(a.name), what + "least " + format_attr_value(a, a.min));
      return;
    }
    if (hi > a.max) {
      error(at(a.name), what + "most " + format_attr_value(a, a.max));
      return;
    }
  }
  if (type.check == nullptr) return;
  std::vector<double> from, to;
  for (const auto& p : toxic.attrs) {
    from.push_back(p.from);
    to.push_back(p.to);
  }
  for (const auto* values : {&from, &to}) {
    std::string_view culprit;
    std::string problem = type.check(Settings(type, *values), &culprit);
    if (problem.empty()) continue;
    if (values == &to) problem += " (at the end of the ramp)";
    error(at(culprit), problem);
    return;
  }
}

void Loader::name_toxic(const toml::table& t, ToxicSpec& toxic) {
  if (auto name = get_string(t, "name", "[[toxic]]")) {
    if (!valid_name(*name)) {
      error(*t.get("name"),
            "toxic name '" + clip(*name) + "' must be 1-64 characters of A-Z a-z 0-9 _ . -");
    }
    toxic.name = *name;
  } else if (auto proxy = get_string(t, "proxy", "[[toxic]]"); toxic.type != nullptr && proxy) {
    // "<proxy>-<type>-<n>", the lowest n not taken by an earlier toxic.
    std::string base = *proxy + "-" + std::string(toxic.type->name) + "-";
    int& n = next_default_.try_emplace(base, 1).first->second;
    while (toxic_names_.count(base + std::to_string(n)) != 0) ++n;
    toxic.name = base + std::to_string(n);
  }
  if (!toxic.name.empty() && !toxic_names_.insert(toxic.name).second) {
    error(t.get("name") ? pos_of(t.get("name")->source()) : toxic.pos,
          "duplicate toxic name '" + toxic.name + "'");
  }
}

void Loader::load_toxic(const toml::table& t, Scenario& s, size_t order) {
  ToxicSpec toxic;
  toxic.order = order;
  toxic.pos = pos_of(t.source());
  toxic.type = load_type(t, toxic.pos);
  check_toxic_keys(t, toxic.type);
  load_target(t, toxic, s);
  check_protocol(t, toxic, s);
  if (toxic.type != nullptr) {
    bool complete = true;
    for (const auto& a : toxic.type->attrs) {
      Param value;
      std::string text;
      if (a.numeric()) {
        complete = load_attr(t, toxic, a, &value) && complete;
      } else {
        complete = load_text_attr(*this, t, toxic, a, &text) && complete;
      }
      toxic.attrs.push_back(value);
      toxic.texts.push_back(std::move(text));
    }
    if (complete) check_attrs(t, toxic);
  }
  load_request_keys(*this, t, toxic, toxic_proxy(t, s), &next_match_bit_[toxic.proxy]);
  load_schedule(t, toxic);
  name_toxic(t, toxic);
  check_schedule(t, toxic, s);
  s.toxics.push_back(std::move(toxic));
}

}  // namespace jinx
