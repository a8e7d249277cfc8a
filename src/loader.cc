#include "loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "address.h"
#include "loader_http.h"
#include "parse_errors.h"
#include "scenario_keys.h"
#include "schedule.h"
#include "suggest.h"
#include "value_reader.h"

namespace jinx {
namespace {

constexpr size_t kMaxFileBytes = 4 * 1024 * 1024;

// The keys each table takes, from the one list `jinx schema` also reads.
const std::vector<std::string_view> kTopKeys = key_names(top_level_keys());
const std::vector<std::string_view> kProxyKeys = key_names(proxy_keys());
const std::vector<std::string_view> kToxicKeys = key_names(toxic_keys());

// The registry's bit for a proxy's protocol, and its name in messages.
unsigned protocol_bit(ProxyProtocol p) {
  return p == ProxyProtocol::udp ? kUdp : p == ProxyProtocol::http ? kHttp : kTcp;
}
std::string protocol_label(ProxyProtocol p) {
  return p == ProxyProtocol::udp ? "UDP" : p == ProxyProtocol::http ? "HTTP" : "TCP";
}

// Walks the document: the tables, their keys and the rules between them.
class Loader : private ValueReader {
 public:
  explicit Loader(std::vector<Diagnostic>& diags) : ValueReader(diags) {}

  Scenario load(const toml::table& root);

 private:
  void load_seed(const toml::table& root, Scenario& s);
  void load_api(const toml::table& root, Scenario& s);
  // Calls each(table) for every table of the array of tables `key`.
  void each_table(const toml::table& root, std::string_view key,
                  const std::function<void(const toml::table&)>& each);
  void load_proxy(const toml::table& t, Scenario& s);
  void load_proxy_name(const toml::table& t, ProxySpec& p);
  void load_listen(const toml::table& t, ProxySpec& p);
  void load_protocol(const toml::table& t, ProxySpec& p);
  void load_udp_keys(const toml::table& t, ProxySpec& p);
  void check_protocol(const toml::table& t, const ToxicSpec& toxic, const Scenario& s);
  // The proxy a [[toxic]] names, or nullptr when it names none that exists.
  const ProxySpec* toxic_proxy(const toml::table& t, const Scenario& s);
  void load_toxic(const toml::table& t, Scenario& s, size_t order);
  const ToxicType* load_type(const toml::table& t, SourcePos pos);
  void check_toxic_keys(const toml::table& t, const ToxicType* type);
  void load_target(const toml::table& t, ToxicSpec& toxic, const Scenario& s);
  bool load_attr(const toml::table& t, const ToxicSpec& toxic, const AttrSpec& a, Param* value);
  void check_attrs(const toml::table& t, const ToxicSpec& toxic);
  void name_toxic(const toml::table& t, ToxicSpec& toxic);
  void load_schedule(const toml::table& t, ToxicSpec& toxic);
  void check_schedule(const toml::table& t, const ToxicSpec& toxic, const Scenario& s);

  // Lookups that keep large files linear.
  std::unordered_set<std::string> proxy_names_;
  std::unordered_map<std::string, std::string> proxy_envs_;  // JINX_ name -> proxy
  std::unordered_map<std::string, std::string> listens_;     // "tcp|udp host:port" -> proxy
  std::unordered_map<std::string, size_t> proxy_index_;
  std::unordered_set<std::string> toxic_names_;
  std::unordered_map<size_t, int> next_match_bit_;     // per proxy (loader_http.h)
  std::unordered_map<std::string, int> next_default_;  // "<proxy>-<type>-" -> next n
};

void Loader::load_proxy(const toml::table& t, Scenario& s) {
  check_keys(t, kProxyKeys, "[[proxy]]");
  ProxySpec p;
  p.pos = pos_of(t.source());
  load_proxy_name(t, p);
  load_protocol(t, p);
  load_listen(t, p);
  auto upstream = get_string(t, "upstream", "[[proxy]]");
  if (!upstream) {
    if (t.get("upstream") == nullptr) error(p.pos, "[[proxy]] needs an 'upstream' address");
  } else if (std::string err;
             !split_host_port(*upstream, &p.upstream_host, &p.upstream_port, &err)) {
    error(*t.get("upstream"), "upstream: " + err);
  } else if (p.upstream_port == 0) {
    error(*t.get("upstream"), "upstream: port 0 cannot be dialled");
  }
  if (const toml::node* n = t.get("connect_timeout")) {
    if (auto d = to_duration(*n, "connect_timeout")) {
      if (*d < kMicrosPerMs) error(*n, "connect_timeout must be at least 1ms");
      p.connect_timeout = *d;
    }
  }
  if (const toml::node* n = t.get("buffer")) {
    if (auto b = to_number(*n, Unit::size, "buffer")) {
      if (*b < 1024) error(*n, "buffer must be at least 1KiB");
      p.buffer = static_cast<uint64_t>(*b);
    }
  }
  load_udp_keys(t, p);
  proxy_index_.emplace(p.name, s.proxies.size());
  s.proxies.push_back(std::move(p));
}

void Loader::load_proxy_name(const toml::table& t, ProxySpec& p) {
  auto name = get_string(t, "name", "[[proxy]]");
  if (!name) {
    if (t.get("name") == nullptr) error(p.pos, "[[proxy]] needs a 'name'");
  } else {
    // Kept even when invalid, so toxics that name it get no second error.
    p.name = *name;
    std::string env = env_name_for_proxy(*name);
    if (!valid_name(*name)) {
      error(*t.get("name"),
            "proxy name '" + clip(*name) + "' must be 1-64 characters of A-Z a-z 0-9 _ . -");
    } else if (!proxy_names_.insert(*name).second) {
      error(*t.get("name"), "duplicate proxy name '" + *name + "'");
    } else if (auto [it, fresh] = proxy_envs_.emplace(env, *name); !fresh) {
      error(*t.get("name"),
            "proxies '" + it->second + "' and '" + *name + "' would share the variable " + env);
    }
  }
}

void Loader::load_listen(const toml::table& t, ProxySpec& p) {
  auto listen = get_string(t, "listen", "[[proxy]]");
  if (!listen) {
    if (t.get("listen") == nullptr) error(p.pos, "[[proxy]] needs a 'listen' address");
  } else if (std::string err; !split_host_port(*listen, &p.listen_host, &p.listen_port, &err)) {
    error(*t.get("listen"), "listen: " + err);
  } else if (p.listen_port != 0) {
    // TCP and UDP ports are apart: a TCP and a UDP proxy may share one
    // (DNS, iperf3 and QUIC with fallback serve both on one port).
    std::string transport = p.protocol == ProxyProtocol::udp ? "udp " : "tcp ";
    auto [it, fresh] =
        listens_.emplace(transport + join_host_port(p.listen_host, p.listen_port), p.name);
    if (!fresh) {
      error(*t.get("listen"),
            "proxy '" + p.name + "' listens on " + *listen + ", like proxy '" + it->second + "'");
    }
  }
}

void Loader::load_protocol(const toml::table& t, ProxySpec& p) {
  auto protocol = get_string(t, "protocol", "[[proxy]]");
  if (!protocol) return;
  if (*protocol == "tcp") {
    p.protocol = ProxyProtocol::tcp;
  } else if (*protocol == "http") {
    p.protocol = ProxyProtocol::http;
  } else if (*protocol == "udp") {
    p.protocol = ProxyProtocol::udp;
  } else {
    error(*t.get("protocol"), "protocol must be 'tcp', 'http' or 'udp'");
  }
}

// idle_timeout and max_flows: flows are UDP's, so only a UDP proxy takes them.
void Loader::load_udp_keys(const toml::table& t, ProxySpec& p) {
  for (std::string_view key : {"idle_timeout", "max_flows"}) {
    if (t.get(key) != nullptr && p.protocol != ProxyProtocol::udp) {
      error(*t.get(key), std::string(key) + " applies only to UDP proxies (protocol = \"udp\")");
    }
  }
  if (const toml::node* n = t.get("idle_timeout")) {
    if (auto d = to_duration(*n, "idle_timeout")) {
      if (*d < 10 * kMicrosPerMs) error(*n, "idle_timeout must be at least 10ms");
      p.idle_timeout = *d;
    }
  }
  if (const toml::node* n = t.get("max_flows")) {
    if (!n->is_integer() || *n->value<int64_t>() < 1) {
      error(*n, "max_flows must be a whole number of flows, at least 1");
    } else {
      p.max_flows = static_cast<uint64_t>(*n->value<int64_t>());
    }
  }
}

// A toxic on a proxy of another protocol, or an attribute its protocol does
// not take (latency's reorder is for UDP, bandwidth's scope for TCP).
// A toxic made for one protocol names the setting that would let it act.
std::string protocol_hint(const ToxicType& type) {
  if (type.protocols == kHttp) return "; set protocol = \"http\" on the proxy";
  if (type.protocols == kUdp) return "; set protocol = \"udp\" on the proxy";
  return "";
}

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
    if (!n->is_integer() || *n->value<int64_t>() < 1) {
      error(*n, "repeat must be a whole number of windows, at least 1");
    } else {
      s.repeat = static_cast<uint64_t>(*n->value<int64_t>());
    }
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

void Loader::load_seed(const toml::table& root, Scenario& s) {
  const toml::node* n = root.get("seed");
  if (n == nullptr) return;
  if (n->is_integer() && *n->value<int64_t>() >= 0) {
    s.seed = static_cast<uint64_t>(*n->value<int64_t>());
  } else if (n->is_string()) {
    if (auto v = parse_u64(n->as_string()->get())) {
      s.seed = *v;
    } else {
      error(*n, "seed must be an unsigned 64-bit integer");
    }
  } else {
    error(*n, "seed must be an unsigned 64-bit integer");
  }
}

void Loader::load_api(const toml::table& root, Scenario& s) {
  const toml::node* n = root.get("api");
  if (n == nullptr) return;
  std::string host;
  uint16_t port = 0;
  std::string why;
  if (!n->is_string()) {
    error(*n, "api must be a string \"HOST:PORT\"");
  } else if (!split_host_port(n->as_string()->get(), &host, &port, &why)) {
    error(*n, "api: " + why);
  } else {
    s.api = n->as_string()->get();
  }
}

void Loader::each_table(const toml::table& root, std::string_view key,
                        const std::function<void(const toml::table&)>& each) {
  const toml::node* n = root.get(key);
  if (n == nullptr) return;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    error(*n, "'" + std::string(key) + "' must be an array of tables: write [[" + std::string(key) +
                  "]]");
    return;
  }
  for (const auto& item : *arr) {
    if (const toml::table* t = item.as_table()) {
      each(*t);
    } else {
      error(item,
            "each '" + std::string(key) + "' must be a table: write [[" + std::string(key) + "]]");
    }
  }
}

Scenario Loader::load(const toml::table& root) {
  Scenario s;
  check_keys(root, kTopKeys, "the scenario");
  if (auto name = get_string(root, "name", "the scenario")) s.name = *name;
  if (const toml::node* n = root.get("duration")) {
    if (auto d = to_duration(*n, "duration")) {
      if (*d > 0) s.duration = *d;
    }
  }
  load_seed(root, s);
  load_api(root, s);
  each_table(root, "proxy", [&](const toml::table& t) { load_proxy(t, s); });
  // No proxy at all, or an empty `proxy = []` (a malformed one has its own error).
  const toml::node* proxy_node = root.get("proxy");
  if (proxy_node == nullptr) {
    error(SourcePos{1, 1}, "a scenario needs at least one [[proxy]]");
  } else if (proxy_node->is_array() && proxy_node->as_array()->empty()) {
    error(*proxy_node, "a scenario needs at least one [[proxy]]");
  }
  size_t order = 0;
  each_table(root, "toxic", [&](const toml::table& t) { load_toxic(t, s, order++); });
  return s;
}

}  // namespace

LoadResult load_scenario_text(std::string_view text, const std::string& file) {
  LoadResult result;
  if (text.size() > kMaxFileBytes) {
    result.diagnostics.push_back({{1, 1},
                                  false,
                                  "file is too large (" + std::to_string(text.size()) +
                                      " bytes; a scenario is at most " +
                                      std::to_string(kMaxFileBytes) + ")"});
    return result;
  }
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    result.diagnostics.push_back(
        tidy_parse_error(text, pos_of(e.source()), std::string(e.description())));
    return result;
  }
  Scenario s = Loader(result.diagnostics).load(root);
  s.file = file;
  bool failed = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                            [](const Diagnostic& d) { return !d.warning; });
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
                   });
  if (!failed) result.scenario = std::move(s);
  return result;
}

std::string format_diagnostic(const std::string& file, const Diagnostic& d) {
  std::string out = file;
  if (d.pos.line > 0) {
    out += ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column);
  }
  out += d.warning ? ": warning: " : ": error: ";
  out += d.message;
  return out;
}

}  // namespace jinx
