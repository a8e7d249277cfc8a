// The session's toxics as Toxiproxy's API sees them (SPEC 10): an API toxic
// is a ToxicSpec like the timeline's, built by the same registry, seeded the
// same way and reported by the same events with "source": "api". Texts and
// defaults are Toxiproxy 2.x's (toxic_collection.go).
#include <algorithm>

#include "api_replies.h"
#include "api_toxics.h"
#include "session.h"

namespace jinx {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

int Session::find_open_toxic(size_t proxy, const std::string& name) const {
  for (const auto& [index, open] : open_toxics_) {
    const ToxicSpec& spec = toxic_spec(index);
    if (spec.proxy == proxy && spec.name == name) return static_cast<int>(index);
  }
  return -1;
}

ordered_json Session::toxics_json(size_t index) const {
  // In the order of the stages (ToxicSpec::order), as Toxiproxy lists its
  // chain: an API toxic added again comes after those added since.
  std::vector<std::pair<size_t, size_t>> by_order;  // (order, toxic)
  for (const auto& [toxic, open] : open_toxics_) {
    const ToxicSpec& spec = toxic_spec(toxic);
    if (spec.proxy == index) by_order.emplace_back(spec.order, toxic);
  }
  std::sort(by_order.begin(), by_order.end());
  ordered_json list = ordered_json::array();
  for (const auto& [order, toxic] : by_order) {
    const OpenToxic& open = open_toxics_.at(toxic);
    list.push_back(api_toxic_json(toxic_spec(toxic), open.attrs, open.toxicity,
                                  protocol_bit(proxies_[index]->spec().protocol)));
  }
  return list;
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

ApiResponse Session::list_toxics(const std::string& proxy) {
  int index = find_proxy(proxy);
  if (index < 0) return proxy_not_found();
  return json_response(200, toxics_json(static_cast<size_t>(index)));
}

namespace {

// Toxiproxy's toxic fields, with its defaults.
struct ToxicInput {
  std::string name;  // default: TYPE_STREAM
  std::string type;
  std::string stream = "downstream";
  double toxicity = 1.0;
};

bool read_toxic_input(const json& obj, ToxicInput* in, ApiResponse* err) {
  if (!obj.is_object()) {
    *err = bad_body("a toxic must be a JSON object");
    return false;
  }
  if (!read_string(obj, "name", &in->name, err) || !read_string(obj, "type", &in->type, err) ||
      !read_string(obj, "stream", &in->stream, err) || !read_toxicity(obj, &in->toxicity, err)) {
    return false;
  }
  if (in->stream != "upstream" && in->stream != "downstream") {
    *err = api_error(400, "stream was invalid, can be either upstream or downstream");
    return false;
  }
  if (in->name.empty()) in->name = in->type + "_" + in->stream;
  return true;
}

ToxicSpec api_toxic_spec(const ToxicInput& in, size_t proxy, const ToxicType* type,
                         const std::vector<double>& values) {
  ToxicSpec spec;
  spec.name = in.name;
  spec.proxy = proxy;
  spec.type = type;
  spec.stream = in.stream == "upstream" ? Stream::upstream : Stream::downstream;
  spec.toxicity = Param{in.toxicity, in.toxicity, false};
  for (double v : values) spec.attrs.push_back(Param{v, v, false});
  return spec;
}

}  // namespace

bool Session::toxic_name_taken(size_t proxy, const std::string& name) const {
  if (find_open_toxic(proxy, name) >= 0) return true;
  // The timeline's toxic of that name may open later: the name is taken.
  for (const ToxicSpec& s : scenario_.toxics) {
    if (s.proxy == proxy && s.name == name) return true;
  }
  return false;
}

size_t Session::api_toxic_slot(ToxicSpec spec) {
  // Stages follow the order toxics were added in, as Toxiproxy's chain
  // does: after every timeline toxic, and after the API toxics before.
  spec.order = scenario_.toxics.size() + api_toxics_added_++;
  for (size_t i = 0; i < api_toxics_.size(); ++i) {
    ToxicSpec& old = api_toxics_[i];
    size_t index = scenario_.toxics.size() + i;
    if (old.proxy == spec.proxy && old.name == spec.name && old.type == spec.type &&
        old.stream == spec.stream && !open_toxics_.contains(index)) {
      old = std::move(spec);
      return index;
    }
  }
  api_toxics_.push_back(std::move(spec));
  return scenario_.toxics.size() + api_toxics_.size() - 1;
}

const ToxicSpec& Session::open_api_toxic(ToxicSpec spec, const std::vector<double>& values) {
  size_t index = api_toxic_slot(std::move(spec));
  const ToxicSpec& added = toxic_spec(index);
  double toxicity = added.toxicity.from;
  // Each time a name is added again is a new window: new draws, as the
  // timeline's windows have.
  uint64_t window = api_windows_[added.name]++;
  open_toxics_[index] = OpenToxic{window, values, toxicity};
  emit_toxic_on(index, window, values, toxicity);
  proxies_[added.proxy]->toxic_on(added, ToxicIndex(index), window, values, toxicity);
  return added;
}

ApiResponse Session::create_toxic(const std::string& proxy, const std::string& body) {
  ApiSource api(source_);
  int found = find_proxy(proxy);
  if (found < 0) return proxy_not_found();
  auto pindex = static_cast<size_t>(found);
  json obj;
  ApiResponse err;
  ToxicInput in;
  if (!parse_body(body, &obj, &err) || !read_toxic_input(obj, &in, &err)) return err;
  const ToxicType* type = find_api_toxic_type(in.type);
  unsigned protocol = protocol_bit(proxies_[pindex]->spec().protocol);
  if (type == nullptr || (type->protocols & protocol) == 0) {
    return api_error(400, "invalid toxic type");
  }
  if (toxic_name_taken(pindex, in.name)) return api_error(409, "toxic already exists");
  std::vector<double> values;
  for (const AttrSpec& a : type->attrs) values.push_back(a.default_value);
  std::string why;
  if (!read_api_attributes(*type, obj.contains("attributes") ? obj["attributes"] : json(), protocol,
                           &values, &why)) {
    return bad_body(why);
  }
  const ToxicSpec& added = open_api_toxic(api_toxic_spec(in, pindex, type, values), values);
  return json_response(200, api_toxic_json(added, values, in.toxicity, protocol));
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
  if (!read_toxicity(obj, &updated.toxicity, &err)) return err;
  std::string why;
  unsigned protocol = protocol_bit(proxies_[spec.proxy]->spec().protocol);
  if (!read_api_attributes(*spec.type, obj.contains("attributes") ? obj["attributes"] : json(),
                           protocol, &updated.attrs, &why)) {
    return bad_body(why);
  }
  update_open_toxic(index, updated.window, updated.attrs, updated.toxicity);
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

}  // namespace jinx
