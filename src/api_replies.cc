// Reading API request bodies and building answers (api_replies.h).
#include "api_replies.h"

#include "address.h"

namespace jinx {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

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

bool read_toxicity(const json& obj, double* out, ApiResponse* err) {
  auto t = obj.find("toxicity");
  if (t == obj.end() || t->is_null()) return true;
  if (!t->is_number()) {
    *err = bad_body("'toxicity' must be a number");
    return false;
  }
  *out = t->get<double>();
  if (!(*out >= 0 && *out <= 1)) {
    *err = bad_body("'toxicity' must be between 0 and 1");
    return false;
  }
  return true;
}

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

}  // namespace jinx
