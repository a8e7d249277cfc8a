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

const char* api_status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    default:
      return "Unknown";
  }
}

}  // namespace jinx
