// The session as Toxiproxy's API sees it (SPEC 10): proxies and toxics made
// through the API are the same objects as the scenario's (a Proxy, a
// ToxicSpec, stages built by the same registry and seeded the same way), and
// report the same events, with "source": "api". Texts, defaults and status
// codes are Toxiproxy 2.x's (api.go, proxy_collection.go, toxic_collection.go).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "address.h"
#include "api_toxics.h"
#include "session.h"

namespace jinx {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

// Events caused while a request is handled say "source": "api".
class ApiSource {
 public:
  explicit ApiSource(const char*& source) : source_(source) { source_ = "api"; }
  ApiSource(const ApiSource&) = delete;
  ApiSource& operator=(const ApiSource&) = delete;
  ~ApiSource() { source_ = "timeline"; }

 private:
  const char*& source_;
};

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

ApiResponse json_response(int status, const ordered_json& body) {
  ApiResponse r;
  r.status = status;
  r.body = dump(body);
  return r;
}

ApiResponse no_content() {
  ApiResponse r;
  r.status = 204;
  return r;
}

ApiResponse bad_body(const std::string& why) {
  return api_error(400, "bad request body: " + why);
}

ApiResponse missing_field(const std::string& field) {
  return api_error(400, "missing required field: " + field);
}

ApiResponse proxy_not_found() {
  return api_error(404, "proxy not found");
}

// A request body as JSON; Go's decoder says "EOF" for an empty one. Reading
// a client's bytes is an edge: nlohmann's exception becomes a 400 here.
bool parse_body(const std::string& body, json* out, ApiResponse* err) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    *err = bad_body("EOF");
    return false;
  }
  try {
    *out = json::parse(body);
  } catch (const json::exception& e) {
    std::string why = e.what();
    size_t bracket = why.find("] ");
    *err = bad_body(bracket == std::string::npos ? why : why.substr(bracket + 2));
    return false;
  }
  return true;
}

// A string member, if present; false (and a 400) when it is not a string.
bool read_string(const json& obj, const char* key, std::string* out, ApiResponse* err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    *err = bad_body(std::string("'") + key + "' must be a string");
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool read_bool(const json& obj, const char* key, bool* out, ApiResponse* err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    *err = bad_body(std::string("'") + key + "' must be true or false");
    return false;
  }
  *out = it->get<bool>();
  return true;
}

// Toxiproxy's proxy fields, over the defaults given.
struct ProxyInput {
  std::string name;
  std::string listen = "127.0.0.1:0";
  std::string upstream;
  bool enabled = true;
};

bool read_proxy_input(const json& obj, ProxyInput* in, ApiResponse* err) {
  if (!obj.is_object()) {
    *err = bad_body("a proxy must be a JSON object");
    return false;
  }
  return read_string(obj, "name", &in->name, err) && read_string(obj, "listen", &in->listen, err) &&
         read_string(obj, "upstream", &in->upstream, err) &&
         read_bool(obj, "enabled", &in->enabled, err);
}

// listen and upstream into a spec; a 400 naming the field when malformed.
bool fill_spec(const ProxyInput& in, ProxySpec* spec, ApiResponse* err) {
  std::string why;
  spec->name = in.name;
  if (!split_host_port(in.listen, &spec->listen_host, &spec->listen_port, &why)) {
    *err = bad_body("listen: " + why);
    return false;
  }
  if (!split_host_port(in.upstream, &spec->upstream_host, &spec->upstream_port, &why)) {
    *err = bad_body("upstream: " + why);
    return false;
  }
  if (spec->upstream_port == 0) {
    *err = bad_body("upstream: port 0 cannot be dialled");
    return false;
  }
  return true;
}

std::string upstream_text(const ProxySpec& spec) {
  return join_host_port(spec.upstream_host, spec.upstream_port);
}

}  // namespace

bool Session::start_api() {
  if (options_.api.empty()) return true;
  std::string host;
  uint16_t port = 0;
  std::string err;
  if (!split_host_port(options_.api, &host, &port, &err)) {
    fail("api: " + options_.api + ": " + err);
    return false;
  }
  api_routes_ = std::make_unique<ApiRoutes>(*this);
  api_server_ = std::make_unique<ApiServer>(&loop_, *api_routes_);
  if (!api_server_->listen(host, port, &err)) {
    fail(err);
    return false;
  }
  Event(events_, "api_listen").str("address", api_server_->bound_address());
  if (!api_server_->loopback_only()) {
    Event(events_, "warning")
        .str("message", "the control API listens on " + api_server_->bound_address() +
                            ", which is not a loopback address: anyone who can reach it "
                            "can add faults and proxies");
  }
  return true;
}

bool Session::populate_from_file() {
  if (options_.populate.empty()) return true;
  std::ifstream in(options_.populate, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    fail("--populate: cannot read " + options_.populate + ": " + std::strerror(errno));
    return false;
  }
  ApiSource api(source_);
  json input;
  ApiResponse err;
  if (!parse_body(text.str(), &input, &err)) {
    fail("--populate " + options_.populate + ": " + json::parse(err.body).value("error", ""));
    return false;
  }
  ApiResponse r = populate_proxies(input);
  if (r.status != 201) {
    fail("--populate " + options_.populate + ": " + json::parse(r.body).value("error", ""));
    return false;
  }
  return true;
}

int Session::find_proxy(const std::string& name) const {
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (!removed_[i] && proxies_[i]->spec().name == name) return static_cast<int>(i);
  }
  return -1;
}

int Session::find_open_toxic(size_t proxy, const std::string& name) const {
  for (const auto& [index, open] : open_toxics_) {
    const ToxicSpec& spec = toxic_spec(index);
    if (spec.proxy == proxy && spec.name == name) return static_cast<int>(index);
  }
  return -1;
}

ordered_json Session::toxics_json(size_t index) const {
  ordered_json list = ordered_json::array();
  for (const auto& [toxic, open] : open_toxics_) {
    const ToxicSpec& spec = toxic_spec(toxic);
    if (spec.proxy == index) {
      list.push_back(api_toxic_json(spec, open.attrs, open.toxicity,
                                    protocol_bit(proxies_[index]->spec().protocol)));
    }
  }
  return list;
}

ordered_json Session::proxy_json(size_t index) const {
  const Proxy& proxy = *proxies_[index];
  const ProxySpec& spec = proxy.spec();
  ordered_json p;
  p["name"] = spec.name;
  p["listen"] = proxy.bound_address().empty() ? join_host_port(spec.listen_host, spec.listen_port)
                                              : proxy.bound_address();
  p["upstream"] = upstream_text(spec);
  p["enabled"] = proxy.enabled();
  p["toxics"] = toxics_json(index);
  return p;
}

int Session::add_proxy(ProxySpec spec, bool enabled, std::string* err) {
  api_proxy_specs_.push_back(std::move(spec));
  proxies_.push_back(std::make_unique<Proxy>(*this, api_proxy_specs_.back()));
  removed_.push_back(false);
  size_t index = proxies_.size() - 1;
  if (!enabled) {
    proxies_[index]->disable();
  } else if (!proxies_[index]->listen(err)) {
    proxies_.pop_back();  // nothing bound, nothing open: it can go at once
    removed_.pop_back();
    return -1;
  } else {
    announce_proxy(index);
  }
  return static_cast<int>(index);
}

void Session::remove_proxy(size_t index) {
  std::vector<size_t> toxics;
  for (const auto& [toxic, open] : open_toxics_) {
    if (toxic_spec(toxic).proxy == index) toxics.push_back(toxic);
  }
  for (size_t toxic : toxics) remove_toxic(toxic);
  Proxy& proxy = *proxies_[index];
  if (proxy.enabled()) {
    proxy.disable();
    Event(events_, "proxy_close")
        .str("proxy", proxy.spec().name)
        .str("listen", proxy.bound_address())
        .str("source", source_);
  }
  // Kept, closed, so indexes held by toxics and connections stay valid.
  removed_[index] = true;
}

void Session::remove_toxic(size_t toxic) {
  if (toxic < scenario_.toxics.size()) {
    timeline_->end_window(toxic);  // window_close reports and removes it
    return;
  }
  const ToxicSpec& spec = toxic_spec(toxic);
  auto it = open_toxics_.find(toxic);
  if (it == open_toxics_.end()) return;
  uint64_t window = it->second.window;
  open_toxics_.erase(it);
  Event(events_, "toxic_off")
      .str("toxic", spec.name)
      .str("proxy", proxies_[spec.proxy]->spec().name)
      .num("window", window)
      .str("source", source_);
  proxies_[spec.proxy]->toxic_off(ToxicIndex(toxic));
}

ApiResponse Session::list_proxies() {
  // Toxiproxy answers with an object keyed by name, in name order.
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (!removed_[i]) by_name.emplace(proxies_[i]->spec().name, i);
  }
  ordered_json all = ordered_json::object();
  for (const auto& [name, index] : by_name) all[name] = proxy_json(index);
  return json_response(200, all);
}

ApiResponse Session::create_proxy(const std::string& body) {
  ApiSource api(source_);
  json obj;
  ApiResponse err;
  ProxyInput in;
  if (!parse_body(body, &obj, &err) || !read_proxy_input(obj, &in, &err)) return err;
  if (in.name.empty()) return missing_field("name");
  if (in.upstream.empty()) return missing_field("upstream");
  if (find_proxy(in.name) >= 0) return api_error(409, "proxy already exists");
  ProxySpec spec;
  if (!fill_spec(in, &spec, &err)) return err;
  std::string why;
  int index = add_proxy(std::move(spec), in.enabled, &why);
  if (index < 0) return api_error(500, why);
  return json_response(201, proxy_json(static_cast<size_t>(index)));
}

ApiResponse Session::show_proxy(const std::string& proxy) {
  int index = find_proxy(proxy);
  if (index < 0) return proxy_not_found();
  return json_response(200, proxy_json(static_cast<size_t>(index)));
}

ApiResponse Session::update_proxy(const std::string& name, const std::string& body) {
  ApiSource api(source_);
  int found = find_proxy(name);
  if (found < 0) return proxy_not_found();
  auto index = static_cast<size_t>(found);
  Proxy& proxy = *proxies_[index];
  // Unset fields keep the proxy's values (Toxiproxy's partial update).
  ProxyInput in;
  in.name = name;
  in.listen = proxy_json(index)["listen"].get<std::string>();
  in.upstream = upstream_text(proxy.spec());
  in.enabled = proxy.enabled();
  std::string old_listen = in.listen;
  std::string old_upstream = in.upstream;
  json obj;
  ApiResponse err;
  if (!parse_body(body, &obj, &err) || !read_proxy_input(obj, &in, &err)) return err;
  in.name = name;  // a proxy is not renamed
  if (in.listen != old_listen || in.upstream != old_upstream) {
    ProxySpec spec = proxy.spec();
    if (!fill_spec(in, &spec, &err)) return err;
    if (proxy.enabled()) {
      Event(events_, "proxy_close")
          .str("proxy", name)
          .str("listen", proxy.bound_address())
          .str("source", source_);
    }
    api_proxy_specs_.push_back(std::move(spec));
    proxy.retarget(api_proxy_specs_.back());
  }
  if (in.enabled && !proxy.enabled()) {
    std::string why;
    if (!proxy.enable(&why)) return api_error(500, why);
    announce_proxy(index);
  } else if (!in.enabled && proxy.enabled()) {
    proxy.disable();
    Event(events_, "proxy_close")
        .str("proxy", name)
        .str("listen", proxy.bound_address())
        .str("source", source_);
  }
  return json_response(200, proxy_json(index));
}

ApiResponse Session::delete_proxy(const std::string& proxy) {
  ApiSource api(source_);
  int index = find_proxy(proxy);
  if (index < 0) return proxy_not_found();
  remove_proxy(static_cast<size_t>(index));
  return no_content();
}

ApiResponse Session::populate(const std::string& body) {
  ApiSource api(source_);
  json input;
  ApiResponse err;
  if (!parse_body(body, &input, &err)) return err;
  return populate_proxies(input);
}

ApiResponse Session::populate_proxies(const json& input) {
  auto failed = [](const ApiResponse& e) {
    // Toxiproxy's populate error carries its proxies too (none).
    ordered_json body = json::parse(e.body);
    body["proxies"] = nullptr;
    return json_response(e.status, body);
  };
  if (!input.is_array()) return failed(bad_body("populate takes a JSON array of proxies"));
  // Phase 1: every proxy checked before anything changes.
  std::vector<ProxyInput> inputs(input.size());
  std::vector<ProxySpec> specs(input.size());
  std::set<std::string> names;
  ApiResponse err;
  for (size_t i = 0; i < input.size(); ++i) {
    ProxyInput& in = inputs[i];
    std::string at = " at proxy " + std::to_string(i + 1);
    if (!read_proxy_input(input[i], &in, &err)) return failed(err);
    if (in.name.empty()) return failed(missing_field("name" + at));
    if (in.upstream.empty()) return failed(missing_field("upstream" + at));
    if (!names.insert(in.name).second) {
      return failed(api_error(500, "duplicate proxy name \"" + in.name + "\""));
    }
    if (!fill_spec(in, &specs[i], &err)) return failed(err);
  }
  // Phase 2: a proxy of the same name and addresses stays; another is
  // replaced. A bind that fails undoes what this request added.
  std::vector<size_t> result;
  std::vector<size_t> added;
  for (size_t i = 0; i < inputs.size(); ++i) {
    int existing = find_proxy(inputs[i].name);
    if (existing >= 0) {
      ordered_json now = proxy_json(static_cast<size_t>(existing));
      if (now["listen"] == inputs[i].listen && now["upstream"] == inputs[i].upstream) {
        result.push_back(static_cast<size_t>(existing));
        continue;
      }
      remove_proxy(static_cast<size_t>(existing));
    }
    std::string why;
    int index = add_proxy(specs[i], inputs[i].enabled, &why);
    if (index < 0) {
      for (size_t a : added) remove_proxy(a);
      return failed(api_error(500, why));
    }
    added.push_back(static_cast<size_t>(index));
    result.push_back(static_cast<size_t>(index));
  }
  ordered_json body;
  body["proxies"] = ordered_json::array();
  for (size_t index : result) body["proxies"].push_back(proxy_json(index));
  return json_response(201, body);
}

ApiResponse Session::list_toxics(const std::string& proxy) {
  int index = find_proxy(proxy);
  if (index < 0) return proxy_not_found();
  return json_response(200, toxics_json(static_cast<size_t>(index)));
}

ApiResponse Session::create_toxic(const std::string& proxy, const std::string& body) {
  ApiSource api(source_);
  int found = find_proxy(proxy);
  if (found < 0) return proxy_not_found();
  auto pindex = static_cast<size_t>(found);
  json obj;
  ApiResponse err;
  if (!parse_body(body, &obj, &err)) return err;
  if (!obj.is_object()) return bad_body("a toxic must be a JSON object");
  std::string name;
  std::string type_name;
  std::string stream = "downstream";
  if (!read_string(obj, "name", &name, &err) || !read_string(obj, "type", &type_name, &err) ||
      !read_string(obj, "stream", &stream, &err)) {
    return err;
  }
  double toxicity = 1.0;
  if (auto t = obj.find("toxicity"); t != obj.end() && !t->is_null()) {
    if (!t->is_number()) return bad_body("'toxicity' must be a number");
    toxicity = t->get<double>();
    if (!(toxicity >= 0 && toxicity <= 1)) return bad_body("'toxicity' must be between 0 and 1");
  }
  if (stream != "upstream" && stream != "downstream") {
    return api_error(400, "stream was invalid, can be either upstream or downstream");
  }
  if (name.empty()) name = type_name + "_" + stream;
  const ToxicType* type = find_api_toxic_type(type_name);
  unsigned protocol = protocol_bit(proxies_[pindex]->spec().protocol);
  if (type == nullptr || (type->protocols & protocol) == 0) {
    return api_error(400, "invalid toxic type");
  }
  if (find_open_toxic(pindex, name) >= 0) return api_error(409, "toxic already exists");
  for (const ToxicSpec& s : scenario_.toxics) {
    // The timeline's toxic of that name may open later: the name is taken.
    if (s.proxy == pindex && s.name == name) return api_error(409, "toxic already exists");
  }
  std::vector<double> values;
  for (const AttrSpec& a : type->attrs) values.push_back(a.default_value);
  std::string why;
  if (!read_api_attributes(*type, obj.contains("attributes") ? obj["attributes"] : json(), protocol,
                           &values, &why)) {
    return bad_body(why);
  }
  ToxicSpec spec;
  spec.name = name;
  spec.proxy = pindex;
  spec.type = type;
  spec.stream = stream == "upstream" ? Stream::upstream : Stream::downstream;
  spec.toxicity = Param{toxicity, toxicity, false};
  for (double v : values) spec.attrs.push_back(Param{v, v, false});
  size_t index = scenario_.toxics.size() + api_toxics_.size();
  spec.order = index;
  api_toxics_.push_back(std::move(spec));
  // Each time a name is added again is a new window: new draws, as the
  // timeline's windows have.
  uint64_t window = api_windows_[name]++;
  open_toxics_[index] = OpenToxic{window, values, toxicity};
  emit_toxic_on(index, window, values, toxicity);
  proxies_[pindex]->toxic_on(api_toxics_.back(), ToxicIndex(index), window, values, toxicity);
  return json_response(200, api_toxic_json(api_toxics_.back(), values, toxicity, protocol));
}

ApiResponse Session::show_toxic(const std::string& proxy, const std::string& toxic) {
  int pindex = find_proxy(proxy);
  if (pindex < 0) return proxy_not_found();
  int index = find_open_toxic(static_cast<size_t>(pindex), toxic);
  if (index < 0) return api_error(404, "toxic not found");
  const OpenToxic& open = open_toxics_[static_cast<size_t>(index)];
  unsigned protocol = protocol_bit(proxies_[static_cast<size_t>(pindex)]->spec().protocol);
  return json_response(200, api_toxic_json(toxic_spec(static_cast<size_t>(index)), open.attrs,
                                           open.toxicity, protocol));
}

ApiResponse Session::update_toxic(const std::string& proxy, const std::string& toxic,
                                  const std::string& body) {
  ApiSource api(source_);
  int pindex = find_proxy(proxy);
  if (pindex < 0) return proxy_not_found();
  int found = find_open_toxic(static_cast<size_t>(pindex), toxic);
  if (found < 0) return api_error(404, "toxic not found");
  auto index = static_cast<size_t>(found);
  const ToxicSpec& spec = toxic_spec(index);
  OpenToxic updated = open_toxics_[index];
  json obj;
  ApiResponse err;
  if (!parse_body(body, &obj, &err)) return err;
  if (!obj.is_object()) return bad_body("a toxic must be a JSON object");
  if (auto t = obj.find("toxicity"); t != obj.end() && !t->is_null()) {
    if (!t->is_number()) return bad_body("'toxicity' must be a number");
    updated.toxicity = t->get<double>();
    if (!(updated.toxicity >= 0 && updated.toxicity <= 1)) {
      return bad_body("'toxicity' must be between 0 and 1");
    }
  }
  std::string why;
  unsigned protocol = protocol_bit(proxies_[spec.proxy]->spec().protocol);
  if (!read_api_attributes(*spec.type, obj.contains("attributes") ? obj["attributes"] : json(),
                           protocol, &updated.attrs, &why)) {
    return bad_body(why);
  }
  open_toxics_[index] = updated;
  std::string attrs_json;
  std::string text;
  attributes_object(spec, updated.attrs, updated.toxicity, &attrs_json, &text);
  Event(events_, "toxic_update")
      .str("toxic", spec.name)
      .str("proxy", proxies_[spec.proxy]->spec().name)
      .num("window", updated.window)
      .object("attributes", attrs_json, text)
      .str("source", source_);
  proxies_[spec.proxy]->toxic_update(ToxicIndex(index), updated.attrs, updated.toxicity);
  return json_response(200, api_toxic_json(spec, updated.attrs, updated.toxicity, protocol));
}

ApiResponse Session::delete_toxic(const std::string& proxy, const std::string& toxic) {
  ApiSource api(source_);
  int pindex = find_proxy(proxy);
  if (pindex < 0) return proxy_not_found();
  int index = find_open_toxic(static_cast<size_t>(pindex), toxic);
  if (index < 0) return api_error(404, "toxic not found");
  remove_toxic(static_cast<size_t>(index));
  return no_content();
}

ApiResponse Session::reset() {
  ApiSource api(source_);
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (removed_[i] || proxies_[i]->enabled()) continue;
    std::string why;
    if (!proxies_[i]->enable(&why)) return api_error(500, why);
    announce_proxy(i);
  }
  std::vector<size_t> open;
  for (const auto& [toxic, state] : open_toxics_) open.push_back(toxic);
  for (size_t toxic : open) remove_toxic(toxic);
  return no_content();
}

ApiResponse Session::version() {
  ApiResponse r;
  r.content_type = "application/json;charset=utf-8";
  r.body = "{\"version\": \"" JINX_VERSION "\"}\n";
  return r;
}

namespace {

// A Prometheus label value: backslash, quote and newline escaped.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

ApiResponse Session::metrics() {
  // Toxiproxy's proxy counters (its names and labels; bytes written to the
  // destination of each direction), then jinx's own.
  std::string sent =
      "# HELP toxiproxy_proxy_sent_bytes_total Bytes written to the receiving side.\n"
      "# TYPE toxiproxy_proxy_sent_bytes_total counter\n";
  std::string open =
      "# HELP jinx_proxy_connections Connections open now.\n"
      "# TYPE jinx_proxy_connections gauge\n";
  std::string accepted =
      "# HELP jinx_proxy_connections_total Connections accepted.\n"
      "# TYPE jinx_proxy_connections_total counter\n";
  std::string toxics =
      "# HELP jinx_proxy_toxics Toxics active now (timeline windows open, API toxics).\n"
      "# TYPE jinx_proxy_toxics gauge\n";
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (removed_[i]) continue;
    const Proxy& p = *proxies_[i];
    std::string name = label(p.spec().name);
    std::string labels = "proxy=\"" + name + "\",listener=\"" + label(p.bound_address()) +
                         "\",upstream=\"" + label(upstream_text(p.spec())) + "\"";
    uint64_t up = 0;
    uint64_t down = 0;
    p.total_bytes(&up, &down);
    sent += "toxiproxy_proxy_sent_bytes_total{direction=\"upstream\"," + labels + "} " +
            std::to_string(up) + "\n";
    sent += "toxiproxy_proxy_sent_bytes_total{direction=\"downstream\"," + labels + "} " +
            std::to_string(down) + "\n";
    open += "jinx_proxy_connections{proxy=\"" + name + "\"} " +
            std::to_string(p.open_connections()) + "\n";
    accepted += "jinx_proxy_connections_total{proxy=\"" + name + "\"} " +
                std::to_string(p.accepted()) + "\n";
    size_t active = 0;
    for (const auto& [toxic, state] : open_toxics_) active += toxic_spec(toxic).proxy == i;
    toxics += "jinx_proxy_toxics{proxy=\"" + name + "\"} " + std::to_string(active) + "\n";
  }
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = sent + open + accepted + toxics +
           "# HELP jinx_api_requests_total Requests answered by the control API.\n"
           "# TYPE jinx_api_requests_total counter\n"
           "jinx_api_requests_total " +
           std::to_string(api_server_ ? api_server_->requests() : 0) + "\n";
  return r;
}

}  // namespace jinx
