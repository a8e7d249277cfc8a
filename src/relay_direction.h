// One direction of a relayed connection: bytes read from a source socket pass
// through a pipeline of toxic stages and are written to a sink socket.
//
//   source --read--> [held] --stage--> ... --stage--> [held] --write--> sink
//
// "Held" counts every byte read from the source and not yet written to the
// sink (or dropped on purpose by a toxic): bytes inside stages, bytes waiting
// for the sink to connect, bytes in libuv's write queue. It is the one number
// flow control looks at. When it reaches the proxy's `buffer` cap, reading
// from the source stops (the kernel's window then slows the peer); when it
// drains to half the cap, reading resumes. The two marks are apart so a busy
// direction does not flap between reading and not reading on every chunk.
//
// Reading is switched off by reasons kept as bits (back-pressure, not yet
// connected, end of stream, sink busy), so one reason going away never
// re-enables reading that another reason still blocks.
//
// When no stage holds anything, a direction holds at most one read's worth:
// while a write waits for a slow sink, the source is not read (kSinkBusy), as
// a plain relay would. The buffer cap is for toxics, which hold data on purpose.
//
// The end of stream travels as a chunk behind the data ahead of it; when it
// leaves the last stage the sink is shut down (FIN) after pending writes.
//
// When the connection ends without a reset (a toxic, `down`, the session's
// end), the direction winds down: it reads no more, every stage hands on
// what it holds, and the sink is shut down after the last write. The
// connection then waits for the peers to take the bytes before it closes
// (connection.h), so a close never throws away what was written.
//
// With no stage and nothing held, bytes skip all of the above: they go from
// source to sink by splice(2) through a pipe, without a copy through user
// memory (splice_pipe.h). Whatever the sink cannot take at once stays in
// the pipe, which the direction then keeps (parks) and empties into the
// sink as it takes more, reading nothing meanwhile: held bytes and flow
// control stay as for chunks, without copying the rest out and back in.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "loop_timers.h"
#include "pipeline.h"
#include "scenario.h"

namespace jinx {

class SplicePipe;

// What a direction reports to the connection that owns it (and only that:
// the direction reads, holds and writes on its own). A TCP connection is
// one owner; an HTTP-aware connection, which would look at requests between
// the two directions, is meant to be another, reusing the directions as
// they are. (UDP flows move datagrams, not a stream, and get a relay of
// their own beside this one; they share the stages and the RelayContext.)
class DirectionOwner {
 public:
  virtual Micros now() const = 0;
  // The source ended its stream (FIN); the first end names the close.
  virtual void source_ended(Direction dir) = 0;
  // Reading the source failed (a reset, usually).
  virtual void read_failed(Direction dir, int status) = 0;
  // Writing to (or shutting down) the sink failed: its peer is gone.
  virtual void write_failed(Direction dir, int status) = 0;
  // The FIN went out to the sink, after all the data.
  virtual void end_delivered(Direction dir) = 0;
  // The direction started or stopped being held back (backpressured()).
  virtual void backpressure_changed() = 0;
  // A toxic of this direction ends the connection.
  virtual void toxic_close(ToxicIndex toxic, bool reset) = 0;
  // Whether the connection closes its sockets as soon as `dir`'s FIN is
  // delivered (the other direction ended already): close(2) then sends the
  // FIN, and shutdown(2) would be one system call more.
  virtual bool closes_after_end(Direction /*dir*/) const { return false; }

 protected:
  ~DirectionOwner() = default;
};

class RelayDirection final : public PipelineOwner {
 public:
  enum Reason : unsigned {
    kBackpressure = 1,  // held bytes reached the buffer cap
    kNotConnected = 2,  // the source socket is not connected yet
    kEnded = 4,         // the source ended, or a toxic ended this direction
    kSinkBusy = 8,      // a write waits for the sink and nothing else is held
  };

  // Stages wake up through `timers`, to the microsecond.
  RelayDirection(DirectionOwner& owner, Direction dir, uint64_t cap, LoopTimers& timers);
  RelayDirection(const RelayDirection&) = delete;
  RelayDirection& operator=(const RelayDirection&) = delete;
  ~RelayDirection();

  // The source's handle data points at this direction from now on (its
  // read callbacks land here); the owner takes it back before closing.
  void bind(uv_stream_t* source, uv_stream_t* sink) {
    source_ = source;
    sink_ = sink;
    source_->data = this;
  }
  Direction direction() const { return dir_; }
  Pipeline& pipeline() { return pipeline_; }

  void block(unsigned reason);
  bool backpressured() const { return (blocked_ & (kBackpressure | kSinkBusy)) != 0 && !stopped_; }
  void unblock(unsigned reason);
  // The sink's socket is connected: flush what waited for it.
  void sink_connected();
  // Turns TCP_NODELAY on for the sink just before its second write (or a
  // first one longer than a segment), not at connect: Nagle holds a small
  // segment back only while an earlier one is unacknowledged, so a short
  // connection that writes a little once spares the setsockopt(2).
  void nodelay_from_second_write() { nodelay_later_ = true; }
  // Re-arms the stage timer after the pipeline changed.
  void arm_timer();
  void on_timer();
  // Reads no more; hands on everything held and then shuts the sink down.
  void wind_down();
  // Everything read has been written to the sink's socket (or dropped).
  bool flushed() const { return held_ == 0 && waiting_.empty(); }
  // Stops all I/O of this direction (the connection is closing).
  void stop();

  // Whether the next bytes may go by splice(2): nothing held in user space,
  // no stage that would hold or change them, the sink connected and idle.
  bool can_splice() const {
    return pipeline_.transparent() && sink_ready_ && waiting_.empty() && writes_pending_ == 0 &&
           parked_ == nullptr && !stopped_ && !shutting_down_ && !close_when_flushed_;
  }
  // can_splice() held and the source is readable (`loop_said_readable`),
  // or may be (splice_now): move what is there.
  void splice_available(bool loop_said_readable = true);
  // Moves what the source holds already, without waiting for the loop to
  // say it is readable (a new connection's first bytes); nothing there
  // costs one splice that says EAGAIN.
  void splice_now();

  bool end_delivered() const { return end_delivered_; }
  uint64_t bytes_delivered() const { return bytes_delivered_; }
  // Read from the source, toxics or not (Toxiproxy's received bytes).
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t held() const { return held_; }
  void close_when_flushed(ToxicIndex toxic);

  // PipelineOwner
  Micros now() const override;
  void deliver(Chunk&& chunk) override;
  void discarded(size_t bytes) override { release(bytes); }
  void injected(size_t bytes) override { held_ += bytes; }
  void toxic_action(ToxicAction action, ToxicIndex toxic) override;

  // The socket's pending error (SO_ERROR) as a libuv error, or 0.
  static int pending_error(uv_stream_t* stream);

 private:
  struct WriteReq;
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  // The source is readable and splice may not be used: recv(2) into the
  // read block.
  void receive();
  void take_read(size_t nread);
  // The stream's socket, or -1 once it is closed.
  static int fd_of(uv_stream_t* stream) {
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(stream), &fd);
    return fd;
  }
  int source_fd() const { return fd_of(source_); }
  int sink_fd() const { return fd_of(sink_); }
  // Gives the read block back once no chunk uses it.
  void drop_idle_block();
  void on_read_end(int status);
  void push_read(Chunk&& chunk);
  void on_end_of_stream();
  static void on_write(uv_write_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  void write(Chunk&& chunk);
  // Called before each write of `bytes` to the sink (see
  // nodelay_from_second_write). 536 is the smallest MSS a peer may use.
  void before_write(size_t bytes) {
    constexpr size_t kOneSegment = 536;
    if (nodelay_later_ && (bytes_delivered_ > 0 || writes_pending_ > 0 || bytes > kOneSegment)) {
      set_nodelay();
    }
  }
  void set_nodelay();
  // The sink is full with `bytes` still in the shared pipe: this direction
  // keeps the pipe (SplicePipe::take) and splices the rest once the sink
  // can take more, instead of copying them out and back in.
  void park(size_t bytes);
  // Moves what the parked pipe holds to the sink, as far as it takes it.
  void unpark();
  // Writes the parked pipe's first bytes through libuv, whose write
  // callback says when the sink can take more.
  void write_parked_head();
  void shutdown_sink();
  void release(size_t bytes);
  void delivered(size_t bytes);
  void update_reading();
  void check_flushed();

  DirectionOwner& owner_;
  Direction dir_;
  uint64_t cap_;
  uv_stream_t* source_ = nullptr;
  uv_stream_t* sink_ = nullptr;
  LoopTimers& timers_;
  MicroTimer timer_;  // the earliest stage wake-up, or the wind-down
  uv_shutdown_t shutdown_req_;
  Pipeline pipeline_;
  Block* read_block_ = nullptr;  // where reads land, while chunks of it are alive
  size_t read_offset_ = 0;       // the next read goes here in read_block_
  std::vector<Chunk> waiting_;   // out of the pipeline before the sink connected
  uint64_t held_ = 0;
  uint64_t bytes_delivered_ = 0;
  uint64_t bytes_received_ = 0;
  unsigned blocked_ = kNotConnected;
  unsigned writes_pending_ = 0;
  uint64_t writing_ = 0;  // bytes in libuv's write queue
  bool reading_ = false;
  bool sink_ready_ = false;
  bool stopped_ = false;
  bool end_delivered_ = false;
  bool shutting_down_ = false;
  bool close_when_flushed_ = false;
  bool winding_ = false;
  bool nodelay_later_ = false;
  bool shutdown_when_unparked_ = false;  // the FIN waits for the parked bytes
  SplicePipe* parked_ = nullptr;         // the pipe holding bytes for a full sink
  size_t parked_bytes_ = 0;
  ToxicIndex close_toxic_;
};

}  // namespace jinx
