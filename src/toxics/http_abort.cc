// http_abort: the response to a picked request is cut after `after` bytes of
// its body (0: before its headers), by FIN (`how = "close"`, after what went
// before is delivered) or RST (`how = "reset"`); the connection ends there.
#include "http_plan.h"
#include "toxics/factory.h"

namespace jinx {

const ToxicType& http_abort_toxic();

namespace {

bool plan_abort(const RequestToxicInput& in, HttpPlan* plan) {
  if (plan->abort_by) return false;  // an earlier toxic cuts it already
  Settings s = in.settings();
  plan->abort_by = in.index;
  plan->abort_after = s.size("after");
  plan->abort_reset = s.choice("how") == "reset";
  return true;
}

}  // namespace

const ToxicType& http_abort_toxic() {
  static const ToxicType type{
      "http_abort",
      ToxicKind::request,
      "cuts a matching request's response after some bytes of its body, by FIN or RST",
      {{"after", Unit::size, false, 0, "body bytes let through (0: cut before the headers)"},
       {"how", Unit::choice, false, 0, "close (FIN) or reset (RST)", {"close", "reset"}}},
      kHttp,
      nullptr,
      nullptr,
      nullptr,  // no datagram stage
      plan_abort};
  return type;
}

}  // namespace jinx
