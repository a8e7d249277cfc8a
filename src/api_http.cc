#include "api_http.h"

#include <nlohmann/json.hpp>

namespace jinx {

ApiResponse api_error(int status, const std::string& message) {
  nlohmann::ordered_json body;
  body["error"] = message;
  body["status"] = status;
  ApiResponse r;
  r.status = status;
  // Toxiproxy's error bodies end with a newline (Go's http.Error).
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

}  // namespace jinx
