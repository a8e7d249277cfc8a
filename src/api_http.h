// One request of the control API (SPEC 10) and its answer, as the HTTP server
// (api_server.h) hands them to the routes (api_routes.h): plain values, so
// the routes know nothing of sockets and tests can call them directly.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace jinx {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string user_agent;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra header lines, beyond those every answer has.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Toxiproxy's error body: {"error":"...","status":N}.
ApiResponse api_error(int status, const std::string& message);

}  // namespace jinx
