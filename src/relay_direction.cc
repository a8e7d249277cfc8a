#include "relay_direction.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "splice_pipe.h"

namespace jinx {

// A write in flight keeps its chunk (and so its block) alive until libuv is
// done with the bytes; the callback may come with UV_ECANCELED after close.
struct RelayDirection::WriteReq {
  uv_write_t req;
  RelayDirection* dir;
  Chunk chunk;
};

RelayDirection::RelayDirection(DirectionOwner& owner, Direction dir, uint64_t cap,
                               LoopTimers& timers)
    : owner_(owner),
      dir_(dir),
      cap_(cap),
      timers_(timers),
      timer_([](MicroTimer& t) { static_cast<RelayDirection*>(t.owner())->on_timer(); }, this),
      pipeline_(*this) {
  shutdown_req_.data = this;
}

RelayDirection::~RelayDirection() {
  if (read_block_ != nullptr) read_block_->release();
  if (parked_ != nullptr) SplicePipe::discard(parked_);
}

Micros RelayDirection::now() const {
  return owner_.now();
}

void RelayDirection::block(unsigned reason) {
  bool was = backpressured();
  blocked_ |= reason;
  update_reading();
  if (backpressured() != was) owner_.backpressure_changed();
}

void RelayDirection::unblock(unsigned reason) {
  bool was = backpressured();
  blocked_ &= ~reason;
  update_reading();
  if (backpressured() != was) owner_.backpressure_changed();
}

void RelayDirection::update_reading() {
  bool want = !stopped_ && blocked_ == 0;
  if (want == reading_) return;
  reading_ = want;
  if (want) {
    uv_read_start(source_, on_alloc, on_read);
  } else {
    uv_read_stop(source_);
  }
}

void RelayDirection::on_alloc(uv_handle_t* /*handle*/, size_t /*suggested*/, uv_buf_t* buf) {
  // An empty buffer makes libuv call on_read with UV_ENOBUFS instead of
  // reading: the bytes are then spliced (splice_available) or received
  // (receive) by this direction itself.
  *buf = uv_buf_init(nullptr, 0);
}

void RelayDirection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* self = static_cast<RelayDirection*>(stream->data);
  if (nread != UV_ENOBUFS) {
    // libuv reads nothing itself (on_alloc), so it has no end of file or
    // error of its own to report today; should it ever, it ends the read.
    if (nread < 0) self->on_read_end(static_cast<int>(nread));
    return;
  }
  if (SplicePipe::get() != nullptr && self->can_splice()) {
    self->splice_available();
  } else {
    self->receive();
  }
}

void RelayDirection::receive() {
  // Reads fill one block one after another, so a peer trickling tiny writes
  // into a holding toxic costs the bytes it sends, not a block per write.
  constexpr size_t kMinRead = 16 * 1024;
  if (read_block_ == nullptr || Block::kSize - read_offset_ < kMinRead) {
    if (read_block_ != nullptr) read_block_->release();
    read_block_ = Block::take();
    read_offset_ = 0;
  }
  // recv(2) where libuv would read(2): the socket call skips the file
  // layer's work (fdget_pos, vfs_read), a few percent of an HTTP proxy's
  // CPU at one read per request.
  ssize_t n;
  do {
    n = recv(source_fd(), read_block_->data + read_offset_, Block::kSize - read_offset_,
             MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    take_read(static_cast<size_t>(n));
    return;
  }
  const int err = n < 0 ? errno : 0;
  drop_idle_block();  // nothing came: an ended or idle direction pins no block
  if (n == 0) {
    on_read_end(UV_EOF);
  } else if (err != EAGAIN && err != EWOULDBLOCK) {
    on_read_end(uv_translate_sys_error(err));
  }
}

void RelayDirection::take_read(size_t nread) {
  Block* block = read_block_;
  block->retain();  // one reference for the chunk, one kept for the next read
  auto offset = static_cast<uint32_t>(read_offset_);
  read_offset_ += nread;
  bytes_received_ += nread;
  push_read(Chunk(block, offset, static_cast<uint32_t>(nread), now()));
  drop_idle_block();
}

void RelayDirection::drop_idle_block() {
  // Everything read into the block is written (or dropped): give it back,
  // so an idle connection pins no buffer.
  if (read_block_ != nullptr && read_block_->refs == 1) {
    read_block_->release();
    read_block_ = nullptr;
  }
}

void RelayDirection::on_read_end(int status) {
  // A reset that came with unread data is an error here (recv(2) gives the
  // data, then ECONNRESET). One that came after the FIN shows as the end
  // of the stream: the FIN goes on, as the peer sent it, and the owner's
  // reset watch finds the reset in the socket within a second.
  if (status == UV_EOF) {
    on_end_of_stream();
  } else {
    owner_.read_failed(dir_, status);
  }
}

int RelayDirection::pending_error(uv_stream_t* stream) {
  const int fd = fd_of(stream);
  if (fd < 0) return 0;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0) return 0;
  return uv_translate_sys_error(err);
}

void RelayDirection::push_read(Chunk&& chunk) {
  held_ += chunk.size();
  if (held_ >= cap_) block(kBackpressure);
  pipeline_.push(std::move(chunk));
  if (!pipeline_.empty()) arm_timer();
}

void RelayDirection::on_end_of_stream() {
  owner_.source_ended(dir_);
  block(kEnded);
  pipeline_.push(Chunk::end_of_stream(now()));
  if (!pipeline_.empty()) arm_timer();
}

void RelayDirection::deliver(Chunk&& chunk) {
  if (stopped_) {
    release(chunk.size());
    return;
  }
  if (!sink_ready_ || !waiting_.empty()) {
    waiting_.push_back(std::move(chunk));
    return;
  }
  if (chunk.eof()) {
    shutdown_sink();
  } else if (chunk.size() > 0) {
    write(std::move(chunk));
  }
}

void RelayDirection::sink_connected() {
  sink_ready_ = true;
  std::vector<Chunk> waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& chunk : waiting) deliver(std::move(chunk));
  waiting.clear();
  // What was read while dialling is written now: its block goes (issue 11:
  // an idle connection that talked first kept 256 KiB, a page of it in RSS).
  drop_idle_block();
  check_flushed();
}

void RelayDirection::set_nodelay() {
  nodelay_later_ = false;
  uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(sink_), 1);
}

void RelayDirection::write(Chunk&& chunk) {
  before_write(chunk.size());
  uv_buf_t buf = uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size()));
  if (writes_pending_ == 0) {
    // Most writes fit in the socket buffer at once: no request, no callback.
    // send(2) rather than uv_try_write's write(2), as in receive().
    ssize_t n;
    do {
      n = send(sink_fd(), buf.base, buf.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      n = errno == EAGAIN || errno == EWOULDBLOCK ? UV_EAGAIN : uv_translate_sys_error(errno);
    }
    if (n == static_cast<ssize_t>(chunk.size())) {
      delivered(chunk.size());
      return;
    }
    if (n > 0) {
      chunk.take_front(static_cast<size_t>(n));  // the written part is dropped
      delivered(static_cast<size_t>(n));
      buf = uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size()));
    } else if (n != UV_EAGAIN) {
      release(chunk.size());
      owner_.write_failed(dir_, static_cast<int>(n));
      return;
    }
  }
  auto* req = new WriteReq{{}, this, std::move(chunk)};
  req->req.data = req;
  int err = uv_write(&req->req, sink_, &buf, 1, on_write);
  if (err != 0) {
    release(req->chunk.size());
    delete req;
    owner_.write_failed(dir_, err);
    return;
  }
  ++writes_pending_;
  writing_ += req->chunk.size();
  // Nothing held but what is being written: no toxic is holding data on
  // purpose, so wait for the sink rather than read ahead.
  if (held_ == writing_) block(kSinkBusy);
}

void RelayDirection::on_write(uv_write_t* uv_req, int status) {
  auto* req = static_cast<WriteReq*>(uv_req->data);
  RelayDirection* self = req->dir;
  size_t size = req->chunk.size();
  delete req;
  --self->writes_pending_;
  self->writing_ -= size;
  if (status == UV_ECANCELED) return;  // closing; held bytes no longer matter
  if (status < 0) {
    self->release(size);
    self->owner_.write_failed(self->dir_, status);
    return;
  }
  self->delivered(size);
  self->drop_idle_block();
  if (self->parked_ != nullptr) {
    // The sink took the pipe's head: the rest follows (unpark reads again).
    if (self->writes_pending_ == 0 && !self->stopped_) self->unpark();
    return;
  }
  if (self->writes_pending_ == 0 && (self->blocked_ & kSinkBusy) != 0) self->unblock(kSinkBusy);
}

void RelayDirection::shutdown_sink() {
  if (parked_ != nullptr) {
    shutdown_when_unparked_ = true;  // after the bytes still in the pipe
    return;
  }
  if (shutting_down_) return;
  shutting_down_ = true;
  if (writes_pending_ == 0 && owner_.closes_after_end(dir_)) {
    // The connection closes now, and close(2) sends the FIN.
    end_delivered_ = true;
    owner_.end_delivered(dir_);
    return;
  }
  if (const int fd = sink_fd(); writes_pending_ == 0 && fd >= 0) {
    // Nothing queued: the FIN goes now. uv_shutdown would first wait for
    // the socket to be writable, which costs two epoll_ctl calls and a
    // loop turn, per direction of every connection.
    if (::shutdown(fd, SHUT_WR) != 0) {
      owner_.write_failed(dir_, uv_translate_sys_error(errno));
      return;
    }
    end_delivered_ = true;
    owner_.end_delivered(dir_);
    return;
  }
  // libuv shuts the socket down after the writes already queued.
  int err = uv_shutdown(&shutdown_req_, sink_, on_shutdown);
  if (err != 0) owner_.write_failed(dir_, err);
}

void RelayDirection::on_shutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<RelayDirection*>(req->data);
  if (status == UV_ECANCELED) return;
  if (status < 0) {
    self->owner_.write_failed(self->dir_, status);
    return;
  }
  self->end_delivered_ = true;
  self->owner_.end_delivered(self->dir_);
}

void RelayDirection::splice_now() {
  if (reading_ && SplicePipe::get() != nullptr && can_splice()) splice_available(false);
}

void RelayDirection::splice_available(bool loop_said_readable) {
  SplicePipe* pipe = SplicePipe::get();
  const int source = source_fd();
  const int sink = sink_fd();
  // At most 4 pipe loads per wake-up, so one busy connection does not starve
  // the others; the socket stays readable and the loop comes back. A load
  // is at most the buffer cap: a pipe parked behind a full sink then holds
  // no more than `buffer`, as memory would.
  const size_t load = std::min<size_t>(pipe->capacity(), cap_);
  for (int round = 0; round < 4; ++round) {
    ssize_t in = splice(source, nullptr, pipe->write_end(), nullptr, load,
                        SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (in == 0 || (in < 0 && errno == EAGAIN && round == 0 && loop_said_readable)) {
      // The end of the stream, or TCP urgent data: splice stops at the
      // urgent mark, with EAGAIN on a readable socket (which would spin the
      // loop), or with 0 when a FIN follows (which would drop the bytes
      // between the mark and the FIN). recv(2) skips the urgent byte and
      // tells the two apart.
      receive();
      return;
    }
    if (in < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      owner_.read_failed(dir_, -errno);
      return;
    }
    bytes_received_ += static_cast<size_t>(in);
    // Less than a pipe load: the socket had no more just now. The loop
    // says when it has (level-triggered), so no splice to hear EAGAIN.
    const bool drained = static_cast<size_t>(in) < load;
    auto left = static_cast<size_t>(in);
    while (left > 0) {
      before_write(left);
      ssize_t out =
          splice(pipe->read_end(), nullptr, sink, nullptr, left, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (out > 0) {
        left -= static_cast<size_t>(out);
        bytes_delivered_ += static_cast<size_t>(out);
        continue;
      }
      if (out < 0 && errno == EINTR) continue;
      if (out < 0 && errno != EAGAIN) {
        int err = -errno;
        // The bytes left in the pipe go with the sink; the next
        // SplicePipe::get() hands out another pipe.
        SplicePipe::discard(SplicePipe::take());
        owner_.write_failed(dir_, err);
        return;
      }
      // The sink is full: the rest waits in the pipe, which this direction
      // keeps until the sink has taken it.
      park(left);
      return;
    }
    if (drained) return;
  }
}

void RelayDirection::park(size_t bytes) {
  parked_ = SplicePipe::take();
  parked_bytes_ = bytes;
  held_ += bytes;
  if (held_ >= cap_) block(kBackpressure);
  block(kSinkBusy);  // nothing more is read until the pipe is empty
  write_parked_head();
  // libuv wrote it at once: the sink had room again.
  if (!stopped_ && parked_ != nullptr && writes_pending_ == 0) unpark();
}

void RelayDirection::write_parked_head() {
  // A few KiB through libuv: its callback comes once the sink took them,
  // and the rest of the pipe follows by splice.
  constexpr size_t kHead = 16 * 1024;
  Block* b = Block::take();
  size_t want = parked_bytes_ < kHead ? parked_bytes_ : kHead;
  ssize_t n = read(parked_->read_end(), b->data, want);
  if (n <= 0) {  // cannot happen: the bytes are in the pipe
    b->release();
    return;
  }
  parked_bytes_ -= static_cast<size_t>(n);
  // held_ counted these bytes when they were parked.
  write(Chunk(b, 0, static_cast<uint32_t>(n), now()));
}

void RelayDirection::unpark() {
  const int sink = sink_fd();
  while (parked_bytes_ > 0) {
    before_write(parked_bytes_);
    ssize_t out = splice(parked_->read_end(), nullptr, sink, nullptr, parked_bytes_,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (out > 0) {
      parked_bytes_ -= static_cast<size_t>(out);
      delivered(static_cast<size_t>(out));
      if (stopped_) return;
      continue;
    }
    if (out < 0 && errno == EINTR) continue;
    if (out < 0 && errno != EAGAIN) {
      owner_.write_failed(dir_, -errno);
      return;
    }
    // Full again: wait for the sink once more, unless libuv wrote at once.
    write_parked_head();
    if (stopped_ || writes_pending_ > 0) return;
  }
  SplicePipe::give_back(parked_);
  parked_ = nullptr;
  if (shutdown_when_unparked_) {
    shutdown_when_unparked_ = false;
    shutdown_sink();
    if (stopped_) return;
  }
  if (writes_pending_ == 0 && (blocked_ & kSinkBusy) != 0) unblock(kSinkBusy);
}

void RelayDirection::delivered(size_t bytes) {
  bytes_delivered_ += bytes;
  release(bytes);
}

void RelayDirection::release(size_t bytes) {
  held_ -= bytes < held_ ? bytes : held_;
  if ((blocked_ & kBackpressure) != 0 && held_ <= cap_ / 2) unblock(kBackpressure);
  if (close_when_flushed_) check_flushed();
}

void RelayDirection::arm_timer() {
  // Winding down: the timer is set to flush and shut down. Stopped: the
  // connection is closing, maybe from inside this direction's own call.
  if (winding_ || stopped_) return;
  Micros wake = pipeline_.next_wakeup();
  if (wake == kNever) {
    timer_.stop();
    return;
  }
  // Never before `wake` (a latency must not come in short, issue 9 #11),
  // and not a millisecond after it either (issue 11).
  timers_.start(timer_, wake);
}

void RelayDirection::on_timer() {
  if (stopped_) return;
  if (winding_) {
    // Here, not in wind_down(): that may run inside a stage's push, and
    // flushing removes the stages.
    pipeline_.flush_all();
    if (!stopped_) shutdown_sink();  // after the writes already queued
    return;
  }
  pipeline_.run_timers();
  if (!stopped_) arm_timer();
}

void RelayDirection::toxic_action(ToxicAction action, ToxicIndex toxic) {
  switch (action) {
    case ToxicAction::close:
      owner_.toxic_close(toxic, false);
      break;
    case ToxicAction::reset:
      owner_.toxic_close(toxic, true);
      break;
    case ToxicAction::close_after_flush:
      close_when_flushed(toxic);
      break;
  }
}

void RelayDirection::close_when_flushed(ToxicIndex toxic) {
  close_when_flushed_ = true;
  close_toxic_ = toxic;
  block(kEnded);  // nothing more is read in this direction
  check_flushed();
}

void RelayDirection::check_flushed() {
  // Everything that was let through has been written: nothing is held in
  // later stages, in the wait for the sink, or in the write queue.
  if (close_when_flushed_ && held_ == 0 && sink_ready_ && !stopped_) {
    close_when_flushed_ = false;
    owner_.toxic_close(close_toxic_, false);
  }
}

void RelayDirection::wind_down() {
  if (winding_ || stopped_) return;
  winding_ = true;
  close_when_flushed_ = false;
  block(kEnded);
  timers_.start(timer_, 0);  // at once, but outside whatever called this
}

void RelayDirection::stop() {
  stopped_ = true;
  if (parked_ != nullptr) SplicePipe::discard(parked_);
  parked_ = nullptr;
  reading_ = false;  // the socket is being closed; libuv stops reading it
  timer_.stop();
  waiting_.clear();
}

}  // namespace jinx
