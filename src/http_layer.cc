#include "http_layer.h"

#include <algorithm>

#include "connection.h"
#include "event_log.h"
#include "proxy.h"
#include "relay_direction.h"

namespace jinx {

HttpLayer::HttpLayer(Connection& conn, Proxy& proxy, RelayDirection& up, RelayDirection& down)
    : conn_(conn),
      proxy_(proxy),
      up_(up),
      down_(down),
      request_head_(*this),
      response_head_(*this) {
  up_.pipeline().set_head(&request_head_);
  down_.pipeline().set_head(&response_head_);
}

Micros HttpLayer::now() const {
  return conn_.now();
}

HttpExchange& HttpLayer::begin_exchange(const HttpStreamParser& request) {
  HttpExchange& ex = exchanges_.emplace_back();
  ex.number = ++requests_;
  ex.method = request.method();
  ex.path = std::string(request.path());
  ex.started = now();
  plan(ex, request);
  // jinx answers without the body: a client waiting for 100 Continue would
  // not send it, another would, so the connection cannot carry on.
  if (ex.plan.answered_by && request.header("expect") != nullptr) ex.plan.close_after_answer = true;
  return ex;
}

void HttpLayer::plan(HttpExchange& ex, const HttpStreamParser& request) {
  for (const auto& active : proxy_.active()) {
    const ToxicSpec& spec = *active->spec;
    bool request_toxic =
        spec.type->kind == ToxicKind::request && spec.type->plan_request != nullptr;
    if (!request_toxic && spec.match_bit < 0) continue;
    if (!selects(*active, request)) continue;
    if (!(request_toxic ? plan_request(*active, ex) : pick_bytes(*active, ex))) continue;
    ex.plan.touched.push_back(active->index);
    conn_.note_toxic(active->index);
  }
}

bool HttpLayer::selects(ActiveToxic& active, const HttpStreamParser& request) {
  const ToxicSpec& spec = *active.spec;
  if (spec.match && !http_match(*spec.match, request)) return false;
  uint64_t n = ++active.requests.matched;
  if (spec.first != 0 && n > spec.first) return false;
  return spec.nth == 0 || n % spec.nth == 0;
}

bool HttpLayer::plan_request(ActiveToxic& active, HttpExchange& ex) {
  RelayContext& context = proxy_.context();
  uint64_t tid = toxic_id(active.spec->name);
  Rng dice =
      Rng::derive(context.seed(), tid, conn_.id(), RandomPurpose::request_toxicity, ex.number);
  if (!dice.chance(active.toxicity)) return false;
  Rng rng = Rng::derive(context.seed(), tid, conn_.id(), RandomPurpose::request, ex.number);
  RequestToxicInput input{*active.spec, active.index, active.attrs, active.requests, rng, now()};
  return active.spec->type->plan_request(input, &ex.plan);
}

// A byte-level toxic with match: toxicity is rolled per request and
// direction (each direction of `stream = "both"` is its own instance), and
// the chunks of the picked directions carry the toxic's bit.
bool HttpLayer::pick_bytes(const ActiveToxic& active, HttpExchange& ex) {
  const ToxicSpec& spec = *active.spec;
  uint64_t tid = toxic_id(spec.name);
  bool picked = false;
  for (Direction d : {Direction::upstream, Direction::downstream}) {
    if (!spec.applies_to(d)) continue;
    auto purpose = d == Direction::upstream ? RandomPurpose::request_bytes_upstream
                                            : RandomPurpose::request_bytes_downstream;
    Rng dice = Rng::derive(proxy_.context().seed(), tid, conn_.id(), purpose, ex.number);
    if (!dice.chance(active.toxicity)) continue;
    ex.picks_of(d) |= 1U << spec.match_bit;
    picked = true;
  }
  return picked;
}

HttpExchange* HttpLayer::next_to_answer() {
  for (auto& ex : exchanges_) {
    if (!ex.response_started) return &ex;
  }
  return nullptr;
}

void HttpLayer::end_exchange(HttpExchange& exchange) {
  exchange.response_started = true;
  exchange.response_done = true;
  settle();
}

void HttpLayer::settle() {
  while (!exchanges_.empty() && exchanges_.front().response_done &&
         exchanges_.front().request_done) {
    report(exchanges_.front());
    exchanges_.pop_front();
  }
}

void HttpLayer::answer_pending() {
  // The response head sends it in its turn, from its timer: not from inside
  // the request side's push.
  response_head_.wake(now());
  down_.arm_timer();
}

void HttpLayer::not_http(const HttpHead* head, const std::string& why) {
  if (!warned_ && proxy_.context().events().wants("warning")) {
    const char* side = head == &request_head_ ? "the client" : "the upstream";
    Event(proxy_.context().events(), "warning")
        .str("message", "proxy '" + proxy_.spec().name + "' connection " +
                            std::to_string(conn_.id()) + ": " +
                            "not following HTTP/1.1 any more (" + side + ": " + why +
                            "); relaying the bytes as they are");
  }
  warned_ = true;
  upgraded();
}

void HttpLayer::upgraded() {
  request_head_.go_plain();
  response_head_.go_plain();
  up_.arm_timer();
  down_.arm_timer();
}

void HttpLayer::abort(const HttpExchange& exchange) {
  ToxicIndex toxic = *exchange.plan.abort_by;
  if (exchange.plan.abort_reset) {
    conn_.toxic_close(toxic, true);
  } else {
    down_.close_when_flushed(toxic);  // FIN once what went before is delivered
  }
}

void HttpLayer::close_after_answer(ToxicIndex toxic) {
  request_head_.drop_the_rest();
  down_.close_when_flushed(toxic);
}

bool HttpLayer::may_answer() const {
  // A request read while dialling may already be on its way upstream.
  if (request_head_.plain()) return false;
  for (const auto& ex : exchanges_) {
    if (!ex.plan.answered_by) return false;
  }
  for (const auto& active : proxy_.active()) {
    if (active->spec->type->kind == ToxicKind::request) return true;
  }
  return false;
}

void HttpLayer::needs_upstream() {
  conn_.needs_upstream();
}

void HttpLayer::connection_closed() {
  for (const auto& ex : exchanges_) report(ex);
  exchanges_.clear();
}

void HttpLayer::report(const HttpExchange& ex) {
  RelayContext& context = proxy_.context();
  proxy_.count_http_status(ex.status);
  if (!context.events().wants("http_request")) return;
  std::vector<std::string> names;
  for (auto t : ex.plan.touched) names.push_back(context.toxic_spec(t).name);
  auto ms = [](Micros d) { return static_cast<double>(d) / kMicrosPerMs; };
  Event e(context.events(), "http_request");
  e.str("proxy", proxy_.spec().name)
      .num("conn", conn_.id())
      .num("request", ex.number)
      .str("method", ex.method)
      .str("path", ex.path)
      .num("status", static_cast<uint64_t>(ex.status));
  if (ex.headers_at != 0 && !ex.plan.answered_by) {
    e.num("upstream_ms", ms(ex.headers_at - ex.sent_at), 3);
  } else {
    e.null("upstream_ms");
  }
  Micros end = std::max(ex.finished_at, now());
  e.num("duration_ms", ms(end - ex.started), 3)
      .num("bytes_up", ex.bytes_up)
      .num("bytes_down", ex.bytes_down)
      .strings("toxics", names.data(), names.data() + names.size());
  if (ex.plan.answered_by)
    e.str("answered_by", context.toxic_spec(*ex.plan.answered_by).type->name);
}

}  // namespace jinx
