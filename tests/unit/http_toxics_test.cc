// The request toxics (SPEC 11) on a fake clock: what each adds to the plan
// of a request it picked, read from its registration like any toxic.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http_plan.h"
#include "scenario.h"
#include "toxic_types.h"

namespace jinx {
namespace {

// A toxic of `type` with its defaults, `numbers` overriding attributes by name.
struct Fixture {
  ToxicSpec spec;
  std::vector<double> attrs;
  RequestWindowState window;
  Rng rng{42};

  explicit Fixture(std::string_view type,
                   std::vector<std::pair<std::string_view, double>> numbers = {},
                   std::vector<std::pair<std::string_view, std::string>> texts = {}) {
    spec.name = "t";
    spec.type = find_toxic_type(type);
    REQUIRE(spec.type != nullptr);
    for (const auto& a : spec.type->attrs) {
      attrs.push_back(a.default_value);
      spec.texts.emplace_back();
    }
    for (const auto& [name, value] : numbers) {
      attrs[static_cast<size_t>(spec.type->attr_index(name))] = value;
    }
    for (const auto& [name, value] : texts) {
      spec.texts[static_cast<size_t>(spec.type->attr_index(name))] = value;
    }
  }
  bool plan(HttpPlan* plan, Micros now = 0) {
    RequestToxicInput in{spec, ToxicIndex(3), attrs, window, rng, now};
    return spec.type->plan_request(in, plan);
  }
};

TEST_CASE("http_error: the answer has the status, headers, body and a correct length") {
  Fixture f("http_error", {{"status", 502}},
            {{"body", "down\n"}, {"headers", "Retry-After: 2\r\n"}});
  HttpPlan plan;
  REQUIRE(f.plan(&plan));
  REQUIRE(plan.answered_by);
  CHECK(plan.answered_by->value == 3);
  CHECK(plan.answer_status == 502);
  CHECK(plan.answer ==
        "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n"
        "Retry-After: 2\r\n\r\ndown\n");
  CHECK_FALSE(plan.close_after_answer);
  // A second answering toxic leaves the first one's answer.
  Fixture again("http_error", {{"status", 500}});
  CHECK_FALSE(again.plan(&plan));
  CHECK(plan.answer_status == 502);
}

TEST_CASE("http_error: close = true says so in the answer") {
  Fixture f("http_error", {{"close", 1}});
  HttpPlan plan;
  REQUIRE(f.plan(&plan));
  CHECK(plan.close_after_answer);
  CHECK(plan.answer.find("Connection: close\r\n") != std::string::npos);
  CHECK(plan.answer.rfind("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n", 0) == 0);
}

TEST_CASE("http_delay: request and response delays, jitter within bounds") {
  Fixture f("http_delay", {{"request", 200}, {"response", 50}});
  HttpPlan plan;
  REQUIRE(f.plan(&plan));
  CHECK(plan.request_delay == 200 * kMicrosPerMs);
  CHECK(plan.response_delay == 50 * kMicrosPerMs);
  Fixture j("http_delay", {{"response", 100}, {"jitter", 20}});
  for (int i = 0; i < 200; ++i) {
    HttpPlan p;
    REQUIRE(j.plan(&p));
    CHECK(p.response_delay >= 80 * kMicrosPerMs);
    CHECK(p.response_delay <= 120 * kMicrosPerMs);
  }
}

TEST_CASE("http_abort: after and how") {
  Fixture f("http_abort", {{"after", 1000}, {"how", 1}});
  HttpPlan plan;
  REQUIRE(f.plan(&plan));
  REQUIRE(plan.abort_by);
  CHECK(plan.abort_after == 1000);
  CHECK(plan.abort_reset);
}

TEST_CASE("http_rate_limit: rate per one-second window, then the status with Retry-After") {
  Fixture f("http_rate_limit", {{"rate", 3}});
  std::vector<unsigned> statuses;
  for (int i = 0; i < 5; ++i) {
    HttpPlan plan;
    bool acted = f.plan(&plan, /*now=*/kMicrosPerSecond + i * 100 * kMicrosPerMs);
    statuses.push_back(acted ? plan.answer_status : 200);
    if (acted) CHECK(plan.answer.find("Retry-After: 1\r\n") != std::string::npos);
  }
  CHECK(statuses == std::vector<unsigned>{200, 200, 200, 429, 429});
  // A new window lets `rate` through again.
  HttpPlan later;
  CHECK_FALSE(f.plan(&later, 2 * kMicrosPerSecond + 10 * kMicrosPerMs));
}

}  // namespace
}  // namespace jinx
