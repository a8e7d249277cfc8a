// The two head stages of an HTTP connection (http_layer.h): what they share,
// and what the request side and the response side each do at the end of a
// message's headers and at the end of the message.
#include <algorithm>
#include <cstring>

#include "http_layer.h"

namespace jinx {

using Stop = HttpStreamParser::Stop;

void HttpHead::push(Chunk&& chunk, StageIo& io) {
  push_parts(std::move(chunk), io);
  emit_pending(io);
}

void HttpHead::push_parts(Chunk&& chunk, StageIo& io) {
  if (stop_) {  // the exchange was cut: nothing more goes through
    io.discard(chunk.size());
    return;
  }
  if (plain_) {
    release_held(io, 0);
    out(std::move(chunk), io);
    return;
  }
  if (chunk.eof()) {
    // A body that ends with the connection (no length) ends here.
    if (parser_.in_message() && parser_.feed(nullptr, 0).stop == Stop::message_done) {
      take(Chunk(), io);
      message_done(io, false);
    }
    release_held(io, 0);
    out(std::move(chunk), io);
    return;
  }
  feed_all(std::move(chunk), io);
}

void HttpHead::feed_all(Chunk&& chunk, StageIo& io) {
  while (chunk.size() > 0 && !plain_ && !stop_) {
    if (!parser_.in_message()) between_messages(io);
    auto step = parser_.feed(chunk.data(), chunk.size());
    if (step.stop == Stop::invalid) {
      layer_.not_http(this, parser_.error());
      break;
    }
    take(step.used >= chunk.size() ? std::move(chunk) : chunk.take_front(step.used), io);
    switch (step.stop) {
      case Stop::headers_done:
        headers_done(io);
        break;
      case Stop::message_done:
        message_done(io, false);
        break;
      case Stop::upgraded:
        message_done(io, true);
        break;
      case Stop::body_limit:
        body_limit(io);
        break;
      case Stop::consumed:
      case Stop::invalid:
        break;
    }
  }
  if (stop_) {
    io.discard(chunk.size());
  } else if (chunk.size() > 0) {  // the rest of a connection gone plain
    release_held(io, 0);
    out(std::move(chunk), io);
  }
}

void HttpHead::take(Chunk&& part, StageIo& io) {
  if (part.size() == 0) return;
  switch (mode_) {
    case Mode::hold:
      hold_.push_back(std::move(part));
      break;
    case Mode::forward:
      out(std::move(part), io, release_);
      break;
    case Mode::drop:
      io.discard(part.size());
      break;
  }
}

void HttpHead::out(Chunk&& chunk, StageIo& io, Micros release) {
  chunk.set_picks(picks_);
  release = std::max(release, last_release_);  // order is kept
  last_release_ = release;
  if (!queue_.empty() || release > io.now()) {
    queue_.push(release, std::move(chunk));
  } else if (pending_.size() == 0 && !pending_.eof()) {
    pending_ = std::move(chunk);
  } else if (!pending_.try_append(chunk)) {
    io.emit(std::move(pending_));
    pending_ = std::move(chunk);
  }
}

void HttpHead::emit_pending(StageIo& io) {
  if (pending_.size() > 0 || pending_.eof()) io.emit(std::move(pending_));
  pending_ = Chunk();
}

void HttpHead::release_held(StageIo& io, Micros release) {
  while (!hold_.empty()) {
    out(std::move(hold_.front()), io, release);
    hold_.pop_front();
  }
}

void HttpHead::drop_held(StageIo& io) {
  for (const auto& c : hold_) io.discard(c.size());
  hold_.clear();
}

Micros HttpHead::wakeup() const {
  return std::min(wake_, queue_.front_release());
}

void HttpHead::on_timer(StageIo& io) {
  queue_.emit_due(io);
  if (wake_ > io.now()) return;
  wake_ = kNever;
  if (plain_) {
    release_held(io, 0);
  } else if (!parser_.in_message()) {
    timer(io);
  }
  emit_pending(io);
}

void HttpHead::flush(StageIo& io) {
  release_held(io, 0);
  emit_pending(io);
  queue_.emit_all(io);
  plain_ = true;
}

void HttpHead::go_plain() {
  plain_ = true;
  picks_ = 0;  // no request's bytes any more
  mode_ = Mode::forward;
  wake_ = 0;  // hands on what is held at the next timer, if no byte comes first
}

// --- requests: client -> upstream ---

void RequestHead::headers_done(StageIo& io) {
  if (drop_all_) {  // jinx answered and closes: nothing more goes upstream
    drop_held(io);
    mode_ = Mode::drop;
    return;
  }
  if (layer_.waiting() >= HttpLayer::kMaxWaiting) {
    // A client pipelining without end would grow the list without bound
    // (the buffer cap counts bytes, not requests).
    layer_.not_http(this, "over " + std::to_string(HttpLayer::kMaxWaiting) +
                              " requests waiting for their responses");
    return;
  }
  HttpExchange& ex = layer_.begin_exchange(parser_);
  current_ = &ex;
  if (ex.plan.answered_by) {
    drop_held(io);
    mode_ = Mode::drop;
    // The connection closes after the answer: requests behind it must not
    // reach the upstream (their answers would follow jinx's close).
    if (ex.plan.close_after_answer) drop_all_ = true;
    layer_.answer_pending();
    return;
  }
  if (layer_.upstream_down()) {  // the dial failed: this one cannot be answered
    drop_held(io);
    stop_ = true;
    current_ = nullptr;  // closing forgets the exchanges
    layer_.needs_upstream();
    return;
  }
  picks_ = ex.picks_of(Direction::upstream);
  release_ = io.now() + ex.plan.request_delay;
  ex.sent_at = std::max(release_, last_release_);
  release_held(io, release_);
  mode_ = Mode::forward;
}

void RequestHead::message_done(StageIo& /*io*/, bool upgraded) {
  if (current_ != nullptr) {
    current_->bytes_up = parser_.body_bytes();
    current_->request_done = true;
    current_ = nullptr;
    layer_.settle();
  }
  mode_ = drop_all_ ? Mode::drop : Mode::hold;
  // CONNECT or Upgrade: what the client sends next is the new protocol
  // (the response decides whether the upstream takes it).
  if (upgraded) go_plain();
}

// --- responses: upstream -> client ---

void ResponseHead::between_messages(StageIo& io) {
  answer_ready(io);
  HttpExchange* next = layer_.next_to_answer();
  parser_.expect_response_to(next != nullptr ? next->method : std::string());
}

void ResponseHead::answer_ready(StageIo& io) {
  HttpExchange* ex = nullptr;
  while ((ex = layer_.next_to_answer()) != nullptr && ex->plan.answered_by) {
    const std::string& answer = ex->plan.answer;
    size_t n = std::min(answer.size(), Block::kSize);
    Block* block = Block::take();
    std::memcpy(block->data, answer.data(), n);
    io.injected(n);
    picks_ = ex->picks_of(Direction::downstream);
    out(Chunk(block, 0, static_cast<uint32_t>(n), io.now()), io);
    ex->response_started = true;
    ex->status = ex->plan.answer_status;
    ex->headers_at = io.now();
    bool close = ex->plan.close_after_answer;
    ToxicIndex by = *ex->plan.answered_by;
    layer_.end_exchange(*ex);  // may forget it
    if (close) {
      drop_held(io);
      stop_ = true;  // nothing from the upstream follows jinx's last answer
      layer_.close_after_answer(by);
      return;
    }
  }
}

void ResponseHead::headers_done(StageIo& io) {
  unsigned status = parser_.status();
  if (status / 100 == 1 && status != 101) {  // interim (100 Continue): no exchange ends
    current_ = nullptr;
    HttpExchange* next = layer_.next_to_answer();
    picks_ = next != nullptr ? next->picks_of(Direction::downstream) : 0;
    release_held(io, 0);
    mode_ = Mode::forward;
    return;
  }
  answer_ready(io);  // jinx's answers to earlier requests go first
  if (stop_) return;
  HttpExchange* ex = layer_.next_to_answer();
  if (ex == nullptr) {
    layer_.not_http(this, "a response to no request");
    return;
  }
  current_ = ex;
  picks_ = ex->picks_of(Direction::downstream);
  ex->status = status;
  ex->headers_at = io.now();
  ex->response_started = true;
  if (ex->plan.abort_by && ex->plan.abort_after == 0) {
    drop_held(io);
    stop_ = true;
    emit_pending(io);  // a reset would lose the previous response's tail
    layer_.abort(*ex);
    return;
  }
  if (ex->plan.abort_by) parser_.limit_body(ex->plan.abort_after);
  release_ = io.now() + ex->plan.response_delay;
  release_held(io, release_);
  mode_ = Mode::forward;
}

void ResponseHead::message_done(StageIo& io, bool upgraded) {
  mode_ = Mode::hold;
  if (current_ == nullptr) return;  // an interim response
  current_->bytes_down = parser_.body_bytes();
  current_->finished_at = std::max(io.now(), last_release_);
  HttpExchange& done = *current_;
  current_ = nullptr;
  layer_.end_exchange(done);
  if (upgraded) {
    layer_.upgraded();
    return;
  }
  // jinx's answers to the requests after this one go now, not with the
  // next response's first byte (there may be none).
  answer_ready(io);
}

void ResponseHead::flush(StageIo& io) {
  if (!plain_ && !stop_ && !parser_.in_message()) answer_ready(io);
  HttpHead::flush(io);
}

void ResponseHead::body_limit(StageIo& io) {
  if (current_ == nullptr) return;
  current_->bytes_down = parser_.body_bytes();
  stop_ = true;
  emit_pending(io);  // the body up to the cut goes before a reset
  layer_.abort(*current_);
}

}  // namespace jinx
