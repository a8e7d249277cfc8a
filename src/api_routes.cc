#include "api_routes.h"

#include <vector>

namespace jinx {
namespace {

// The path's segments, decoded; false when one cannot be decoded.
bool split_path(const std::string& path, std::vector<std::string>* parts) {
  if (path.empty() || path[0] != '/') return false;
  size_t at = 1;
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    std::string part;
    if (!api_percent_decode(path.substr(at, slash - at), &part)) return false;
    parts->push_back(std::move(part));
    at = slash + 1;
  }
  return true;
}

ApiResponse not_found() {
  // Go's http.NotFound, which Toxiproxy's router answers with.
  ApiResponse r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "404 page not found\n";
  return r;
}

ApiResponse wrong_method(const char* allowed) {
  ApiResponse r;
  r.status = 405;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "405 method not allowed\n";
  r.headers.emplace_back("Allow", allowed);
  return r;
}

}  // namespace

bool api_percent_decode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(in[i + 1]);
    int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

ApiResponse ApiRoutes::handle(const ApiRequest& request) {
  // Toxiproxy's guard: a web page must not reconfigure the proxies.
  if (request.user_agent.rfind("Mozilla/", 0) == 0) {
    ApiResponse r;
    r.status = 403;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "User agent not allowed\n";
    return r;
  }
  std::vector<std::string> p;
  if (!split_path(request.path, &p)) return not_found();
  const std::string& m = request.method;
  bool get = m == "GET";
  bool post = m == "POST";
  bool update = post || m == "PATCH";  // POST is Toxiproxy's deprecated update
  bool del = m == "DELETE";
  const std::string& body = request.body;
  if (p.size() == 1) {
    if (p[0] == "proxies") {
      if (get) return control_.list_proxies();
      if (post) return control_.create_proxy(body);
      return wrong_method("GET, POST");
    }
    if (p[0] == "populate") return post ? control_.populate(body) : wrong_method("POST");
    if (p[0] == "reset") return post ? control_.reset() : wrong_method("POST");
    if (p[0] == "version") return get ? control_.version() : wrong_method("GET");
    if (p[0] == "metrics") return get ? control_.metrics() : wrong_method("GET");
    return not_found();
  }
  if (p[0] != "proxies" || p[1].empty()) return not_found();
  if (p.size() == 2) {
    if (get) return control_.show_proxy(p[1]);
    if (update) return control_.update_proxy(p[1], body);
    if (del) return control_.delete_proxy(p[1]);
    return wrong_method("GET, POST, PATCH, DELETE");
  }
  if (p[2] != "toxics") return not_found();
  if (p.size() == 3) {
    if (get) return control_.list_toxics(p[1]);
    if (post) return control_.create_toxic(p[1], body);
    return wrong_method("GET, POST");
  }
  if (p.size() == 4 && !p[3].empty()) {
    if (get) return control_.show_toxic(p[1], p[3]);
    if (update) return control_.update_toxic(p[1], p[3], body);
    if (del) return control_.delete_toxic(p[1], p[3]);
    return wrong_method("GET, POST, PATCH, DELETE");
  }
  return not_found();
}

}  // namespace jinx
