// http_delay: a picked request goes upstream `request` late, and/or its
// response's first byte (time to first byte) reaches the client `response`
// late, each +/- a uniform `jitter` (never below 0). Only that connection
// waits: bytes behind the delayed message keep their order on it, and other
// connections are not held up.
#include <algorithm>

#include "http_plan.h"
#include "toxics/factory.h"

namespace jinx {

const ToxicType& http_delay_toxic();

namespace {

Micros jittered(Micros base, Micros jitter, Rng& rng) {
  if (jitter > 0) {
    base +=
        static_cast<Micros>(rng.uniform(-static_cast<double>(jitter), static_cast<double>(jitter)));
  }
  return std::max<Micros>(base, 0);
}

bool plan_delay(const RequestToxicInput& in, HttpPlan* plan) {
  Settings s = in.settings();
  Micros jitter = s.duration("jitter");
  Micros request = s.duration("request");
  Micros response = s.duration("response");
  if (request > 0 || jitter > 0) {
    plan->request_delay = std::max(plan->request_delay, jittered(request, jitter, in.rng));
  }
  if (response > 0 || jitter > 0) {
    plan->response_delay = std::max(plan->response_delay, jittered(response, jitter, in.rng));
  }
  return true;
}

}  // namespace

const ToxicType& http_delay_toxic() {
  static const ToxicType type{
      "http_delay",
      ToxicKind::request,
      "sends a matching request upstream late, and/or its response's first byte",
      {{"request", Unit::duration, false, 0, "delay before the request goes upstream"},
       {"response", Unit::duration, false, 0, "delay of the response's first byte"},
       {"jitter", Unit::duration, false, 0, "uniform spread around each delay"}},
      kHttp,
      nullptr,
      nullptr,
      nullptr,  // no datagram stage
      plan_delay};
  return type;
}

}  // namespace jinx
