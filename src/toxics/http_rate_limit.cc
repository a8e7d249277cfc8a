// http_rate_limit: at most `rate` picked requests per second go through, per
// proxy (counted in one-second windows across its connections); above that,
// jinx answers `status` (429) itself with a Retry-After of the seconds left
// in the window, rounded up.
#include <cmath>

#include "http_plan.h"
#include "toxics/factory.h"

namespace jinx {

const ToxicType& http_rate_limit_toxic();

namespace {

bool plan_rate_limit(const RequestToxicInput& in, HttpPlan* plan) {
  if (plan->answered_by) return false;  // answered already: it never counts
  Settings s = in.settings();
  RequestWindowState& w = in.window;
  if (w.rate_count == 0 || in.now - w.rate_window_start >= kMicrosPerSecond) {
    w.rate_window_start = in.now;
    w.rate_count = 0;
  }
  if (static_cast<double>(w.rate_count) < s.number("rate")) {
    ++w.rate_count;
    return false;
  }
  auto status = static_cast<unsigned>(std::lround(s.number("status")));
  Micros left = w.rate_window_start + kMicrosPerSecond - in.now;
  auto retry = static_cast<long long>((left + kMicrosPerSecond - 1) / kMicrosPerSecond);
  plan->answered_by = in.index;
  plan->answer_status = status;
  plan->answer = make_http_response(
      status, "Retry-After: " + std::to_string(retry < 1 ? 1 : retry) + "\r\n", "", false);
  return true;
}

}  // namespace

const ToxicType& http_rate_limit_toxic() {
  static const ToxicType type{
      "http_rate_limit",
      ToxicKind::request,
      "above `rate` matching requests per second (per proxy), answers 429 with Retry-After",
      {{"rate", Unit::count, true, 0, "requests per second let through, per proxy", {}, 0, 1e9},
       {"status", Unit::count, false, 429, "the status code of the answer", {}, 100, 599}},
      kHttp,
      nullptr,
      nullptr,
      nullptr,  // no datagram stage
      plan_rate_limit};
  return type;
}

}  // namespace jinx
