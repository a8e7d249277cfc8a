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
#include "loader_walk.h"
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

}  // namespace

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
    if (auto count = to_count(*n, "max_flows", "flows")) p.max_flows = *count;
  }
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
