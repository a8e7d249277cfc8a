#include "http_plan.h"

#include <strings.h>

#include "http_reason.h"
#include "http_stream_parser.h"
#include "scenario.h"

namespace jinx {

std::string make_http_response(unsigned status, const std::string& extra_headers,
                               const std::string& body, bool close) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + http_reason(status) + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (body.empty() == false) r += "Content-Type: text/plain\r\n";
  if (close) r += "Connection: close\r\n";
  r += extra_headers;
  r += "\r\n";
  r += body;
  return r;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative, with one backtrack point: linear enough for paths.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool http_match(const HttpMatch& match, const HttpStreamParser& request) {
  if (!match.method.empty() && strcasecmp(match.method.c_str(), request.method().c_str()) != 0) {
    return false;
  }
  if (!match.path.empty() && !glob_match(match.path, request.path())) return false;
  for (const auto& [name, value] : match.headers) {
    const std::string* got = request.header(name);
    if (got == nullptr || *got != value) return false;
  }
  return true;
}

}  // namespace jinx
