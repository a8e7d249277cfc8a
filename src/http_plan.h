// What the request-level toxics (SPEC 11) decided for one HTTP exchange.
//
// When a request's headers are complete, every request toxic whose window is
// open on the proxy, whose `match` holds and whose count selector and
// toxicity pick this request adds to one HttpPlan; the connection's HTTP
// layer (http_layer.h) carries it out. A toxic's file under src/toxics/
// registers its `plan_request` function, as byte-level toxics register a
// stage: the plan is their only effect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "random.h"
#include "scenario.h"
#include "toxic_index.h"
#include "toxic_types.h"
#include "units.h"

namespace jinx {

struct ToxicSpec;
struct HttpMatch;
class HttpStreamParser;

struct HttpPlan {
  std::vector<ToxicIndex> touched;  // toxics that acted on the exchange, in file order
  // jinx answers the request itself with `answer` (the whole response);
  // the request never goes upstream.
  std::optional<ToxicIndex> answered_by;
  std::string answer;
  unsigned answer_status = 0;
  bool close_after_answer = false;
  Micros request_delay = 0;   // before the request goes upstream
  Micros response_delay = 0;  // before the response's first byte goes to the client
  // Cut the response after `abort_after` bytes of its body (0: before its
  // headers), by FIN or RST.
  std::optional<ToxicIndex> abort_by;
  uint64_t abort_after = 0;
  bool abort_reset = false;
};

// A request toxic's window state on its proxy, shared by its connections.
struct RequestWindowState {
  uint64_t matched = 0;          // requests that matched so far (first, nth)
  Micros rate_window_start = 0;  // http_rate_limit: the current one-second window
  uint64_t rate_count = 0;       // requests let through in it
};

// What a request toxic's plan_request sees.
struct RequestToxicInput {
  const ToxicSpec& spec;
  ToxicIndex index;
  const std::vector<double>& attrs;  // base units, indexed like the type's
  RequestWindowState& window;
  Rng& rng;
  Micros now;

  Settings settings() const { return Settings(*spec.type, attrs); }
};

// A response with a correct Content-Length: "HTTP/1.1 <status> <reason>",
// the extra header lines ("Name: value\r\n" each), and `body`.
std::string make_http_response(unsigned status, const std::string& extra_headers,
                               const std::string& body, bool close);

// `*` matches any characters (`/` included), `?` one.
bool glob_match(std::string_view pattern, std::string_view text);
// Whether a request (its headers complete) is one `match` picks.
bool http_match(const HttpMatch& match, const HttpStreamParser& request);

}  // namespace jinx
