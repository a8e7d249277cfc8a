#include "http_reason.h"

#include <http_parser.h>

#include <cstring>

namespace jinx {

const char* http_reason(unsigned status) {
  const char* known = http_status_str(static_cast<enum http_status>(status));
  if (std::strcmp(known, "<unknown>") != 0) return known;
  if (status < 200) return "Informational";
  if (status < 300) return "Success";
  if (status < 400) return "Redirection";
  return status < 500 ? "Client Error" : "Server Error";
}

}  // namespace jinx
