// http_error: jinx answers a picked request itself, without sending it
// upstream: `status` (503), optional `body` and `headers`, with a correct
// Content-Length, in its turn among the responses of pipelined requests. The
// connection stays usable, or closes after the answer when `close = true`.
#include <cmath>

#include "http_plan.h"
#include "scenario.h"
#include "toxics/factory.h"

namespace jinx {

const ToxicType& http_error_toxic();

namespace {

const std::string& text_attr(const RequestToxicInput& in, std::string_view attr) {
  return in.spec.texts[static_cast<size_t>(in.spec.type->attr_index(attr))];
}

bool plan_error(const RequestToxicInput& in, HttpPlan* plan) {
  if (plan->answered_by) return false;  // an earlier toxic answers it
  Settings s = in.settings();
  auto status = static_cast<unsigned>(std::lround(s.number("status")));
  bool close = s.choice("close") == "true";
  plan->answered_by = in.index;
  plan->answer_status = status;
  plan->answer = make_http_response(status, text_attr(in, "headers"), text_attr(in, "body"), close);
  plan->close_after_answer = close;
  return true;
}

}  // namespace

const ToxicType& http_error_toxic() {
  static const ToxicType type{
      "http_error",
      ToxicKind::request,
      "answers a matching request itself with an HTTP error; it never goes upstream",
      {{"status", Unit::count, false, 503, "the status code of the answer", {}, 100, 599},
       {"body", Unit::text, false, 0, "the body of the answer (Content-Length is set)"},
       {"headers", Unit::headers, false, 0, "extra header lines: a table of names to values"},
       {"close",
        Unit::choice,
        false,
        0,
        "close the connection after the answer",
        {"false", "true"}}},
      kHttp,
      nullptr,
      nullptr,
      nullptr,  // no datagram stage
      plan_error};
  return type;
}

}  // namespace jinx
