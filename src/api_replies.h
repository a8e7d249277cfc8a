// What the session's API operations (session_api*.cc) share: reading a
// request body as Toxiproxy's server reads it, and its answers and error
// texts (Toxiproxy 2.x's api.go). Plain functions over nlohmann::json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api_http.h"
#include "scenario.h"

namespace jinx {

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

ApiResponse json_response(int status, const nlohmann::ordered_json& body);
ApiResponse no_content();
ApiResponse bad_body(const std::string& why);
ApiResponse missing_field(const std::string& field);
ApiResponse proxy_not_found();

// A request body as JSON; false (and a 400 in *err) when it is not JSON.
bool parse_body(const std::string& body, nlohmann::json* out, ApiResponse* err);
// A member, if present; false (and a 400) when it has another JSON type.
bool read_string(const nlohmann::json& obj, const char* key, std::string* out, ApiResponse* err);
bool read_bool(const nlohmann::json& obj, const char* key, bool* out, ApiResponse* err);
// "toxicity", if present: a number from 0 to 1.
bool read_toxicity(const nlohmann::json& obj, double* out, ApiResponse* err);

// Toxiproxy's proxy fields, over the defaults given.
struct ProxyInput {
  std::string name;
  std::string listen = "127.0.0.1:0";
  std::string upstream;
  bool enabled = true;
};

bool read_proxy_input(const nlohmann::json& obj, ProxyInput* in, ApiResponse* err);
// listen and upstream into a spec; a 400 naming the field when malformed.
bool fill_spec(const ProxyInput& in, ProxySpec* spec, ApiResponse* err);
// "host:port" of the proxy's upstream, as the API shows it.
std::string upstream_text(const ProxySpec& spec);

}  // namespace jinx
