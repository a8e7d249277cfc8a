// The session's proxies as Toxiproxy's API sees them (SPEC 10): proxies made
// through the API are the same objects as the scenario's (a Proxy with its
// events, "source": "api"). Texts, defaults and status codes are Toxiproxy
// 2.x's (api.go, proxy_collection.go). Toxics: session_api_toxics.cc;
// metrics: session_metrics.cc.
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "address.h"
#include "api_replies.h"
#include "session.h"

namespace jinx {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

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

}  // namespace jinx
