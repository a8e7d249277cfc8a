// The HTTP layer of a connection on an HTTP proxy (SPEC 11).
//
// A connection of an HTTP proxy owns one HttpLayer. The layer puts a head
// stage at the front of each direction's pipeline (pipeline.h), before every
// byte-level toxic:
//
//   client --read--> [RequestHead]  -> toxics -> upstream
//   client <-write-- toxics <- [ResponseHead] <--read-- upstream
//
// Each head follows the messages of its direction with an HttpStreamParser
// and holds a message's bytes only until its header block is complete (at
// most 64KiB). Then the request toxics plan the exchange (http_plan.h): the
// request goes on (maybe late), or is dropped and answered by jinx, in its
// turn among the responses of pipelined requests; a response may be held
// (time to first byte) or cut. Bodies stream through and are never held whole.
//
// An upgrade (a 101, a 2xx to CONNECT) leaves the connection a plain relay
// from there; so does anything that is not HTTP/1.x, from either side, with
// one `warning` event. A head that has gone plain is transparent: bytes then
// take the same fast path (splice) as on a TCP proxy.
//
// One `http_request` event per exchange, when both its request and its
// response are over (or the connection closed before that).
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "http_plan.h"
#include "http_stream_parser.h"
#include "stage.h"
#include "toxics/held_queue.h"

namespace jinx {

class Connection;
class Proxy;
struct ActiveToxic;
class RelayDirection;

// One request and its response.
struct HttpExchange {
  uint64_t number = 0;  // 1, 2, ... on the connection
  std::string method;
  std::string path;
  HttpPlan plan;
  Micros started = 0;      // the request's headers complete
  Micros sent_at = 0;      // the request's headers went on upstream
  Micros headers_at = 0;   // the response's headers arrived
  Micros finished_at = 0;  // its last byte leaves (later than now when jinx holds it)
  unsigned status = 0;
  // The byte-level toxics with match that picked it, by direction (bits of
  // Chunk::picks, see match_gate.h).
  uint32_t picks[2] = {0, 0};
  uint32_t& picks_of(Direction d) { return picks[static_cast<int>(d)]; }
  uint64_t bytes_up = 0;  // body bytes of the request
  uint64_t bytes_down = 0;
  bool request_done = false;
  bool response_started = false;
  bool response_done = false;
};

class HttpLayer;

// What both heads share: holding a message's first bytes until its headers
// are complete, output in order with release times, and the plain mode.
class HttpHead : public Stage {
 public:
  explicit HttpHead(HttpLayer& layer, HttpStreamParser::Kind kind) : layer_(layer), parser_(kind) {}
  void push(Chunk&& chunk, StageIo& io) override;
  Micros wakeup() const override;
  void on_timer(StageIo& io) override;
  void flush(StageIo& io) override;
  bool transparent() const override { return plain_ && hold_.empty() && queue_.empty(); }
  // From now on bytes pass untouched (after what is held).
  void go_plain();
  bool plain() const { return plain_; }
  // Run on_timer() soon (the layer has something for this head to do).
  void wake(Micros now) { wake_ = now; }

 protected:
  enum class Mode { hold, forward, drop };
  // Called with the parser stopped at headers_done / message_done.
  virtual void headers_done(StageIo& io) = 0;
  virtual void message_done(StageIo& io, bool upgraded) = 0;
  // Before feeding bytes while no message is in progress.
  virtual void between_messages(StageIo& /*io*/) {}
  // Before cutting the body at body_limit.
  virtual void body_limit(StageIo& /*io*/) {}
  virtual void timer(StageIo& /*io*/) {}

  void take(Chunk&& part, StageIo& io);
  // Hands on chunks held for the headers, no earlier than `release`.
  void release_held(StageIo& io, Micros release);
  void drop_held(StageIo& io);
  // Passes a chunk on no earlier than `release`, in order. What may go now
  // waits in `pending_` and grows with every chunk that continues it in its
  // block, so a message's head and the body read with it leave as one
  // chunk (one write), not one per parser stop.
  void out(Chunk&& chunk, StageIo& io, Micros release = 0);
  // Hands on `pending_`: at the end of every call into the stage, and before
  // anything that may end the connection at once.
  void emit_pending(StageIo& io);

  HttpLayer& layer_;
  HttpStreamParser parser_;
  Mode mode_ = Mode::hold;
  bool plain_ = false;
  bool stop_ = false;  // set by a subclass: the rest of this push is handled
  std::deque<Chunk> hold_;
  HeldQueue queue_;
  Chunk pending_;       // may go now; empty between calls
  Micros release_ = 0;  // when the current message's bytes may leave (forward)
  Micros last_release_ = 0;
  Micros wake_ = kNever;
  uint32_t picks_ = 0;  // stamped on every chunk out(): the current message's

 private:
  void push_parts(Chunk&& chunk, StageIo& io);
  void feed_all(Chunk&& chunk, StageIo& io);
};

class RequestHead final : public HttpHead {
 public:
  explicit RequestHead(HttpLayer& layer) : HttpHead(layer, HttpStreamParser::Kind::request) {}
  // Drops every request from now on (jinx answered and closes).
  void drop_the_rest() { drop_all_ = true; }

 private:
  void headers_done(StageIo& io) override;
  void message_done(StageIo& io, bool upgraded) override;
  HttpExchange* current_ = nullptr;
  bool drop_all_ = false;
};

class ResponseHead final : public HttpHead {
 public:
  explicit ResponseHead(HttpLayer& layer) : HttpHead(layer, HttpStreamParser::Kind::response) {}

 private:
  void headers_done(StageIo& io) override;
  void message_done(StageIo& io, bool upgraded) override;
  void between_messages(StageIo& io) override;
  void body_limit(StageIo& io) override;
  void timer(StageIo& io) override { between_messages(io); }
  // jinx's answers next in line go first (the connection is winding down).
  void flush(StageIo& io) override;
  // Sends jinx's own answers that are next in line.
  void answer_ready(StageIo& io);
  HttpExchange* current_ = nullptr;
};

class HttpLayer {
 public:
  HttpLayer(Connection& conn, Proxy& proxy, RelayDirection& up, RelayDirection& down);
  HttpLayer(const HttpLayer&) = delete;
  HttpLayer& operator=(const HttpLayer&) = delete;

  // The connection is ending: reports the exchanges that got no response.
  void connection_closed();
  // Whether a request toxic is active on the proxy, so it may answer
  // requests without the upstream, and no request so far needs the upstream.
  bool may_answer() const;
  // The dial failed and the connection carries on for jinx's own answers:
  // the first request that would go upstream ends it.
  void upstream_unreachable() { upstream_down_ = true; }
  bool upstream_down() const { return upstream_down_; }
  void needs_upstream();

  // Exchanges not over yet; past kMaxWaiting the connection goes plain.
  static constexpr size_t kMaxWaiting = 10000;
  size_t waiting() const { return exchanges_.size(); }

  // For the heads.
  Micros now() const;
  // A request's headers are complete: number it and plan it.
  HttpExchange& begin_exchange(const HttpStreamParser& request);
  // The oldest exchange whose response has not started, or nullptr.
  HttpExchange* next_to_answer();
  // The response is over; the exchange is reported once its request is
  // over too (a server may answer before the upload ends).
  void end_exchange(HttpExchange& exchange);
  // Reports and forgets the exchanges at the front that are over both ways.
  void settle();
  // A request was answered by jinx: the response head sends it in its turn.
  void answer_pending();
  // Not HTTP from the side `head` reads: both directions go plain, with one
  // warning.
  void not_http(const HttpHead* head, const std::string& why);
  void upgraded();
  void abort(const HttpExchange& exchange);
  void close_after_answer(ToxicIndex toxic);
  Stage* request_stage() { return &request_head_; }
  Stage* response_stage() { return &response_head_; }

 private:
  void plan(HttpExchange& exchange, const HttpStreamParser& request);
  // Whether `match`, `first` and `nth` pick the request (counts it).
  static bool selects(ActiveToxic& active, const HttpStreamParser& request);
  bool plan_request(ActiveToxic& active, HttpExchange& exchange);
  bool pick_bytes(const ActiveToxic& active, HttpExchange& exchange);
  void report(const HttpExchange& exchange);

  Connection& conn_;
  Proxy& proxy_;
  RelayDirection& up_;
  RelayDirection& down_;
  RequestHead request_head_;
  ResponseHead response_head_;
  std::deque<HttpExchange> exchanges_;
  uint64_t requests_ = 0;
  bool warned_ = false;
  bool upstream_down_ = false;
};

}  // namespace jinx
