// A relayed connection: the accepted client socket, the dialled upstream
// socket, and the two directions between them.
//
// Ownership: the Connection owns its handles by value and deletes itself once
// the close callbacks of all of them have run (libuv frees nothing before
// that). close() is idempotent: whatever ends the connection first (a peer, a
// toxic, the session) decides the reason reported in conn_close.
//
// Closing without a reset winds down first: both directions hand on what
// they hold and send FIN after it, input from both peers is read and thrown
// away (a socket closed with unread input sends RST, and the kernel then
// discards the output it had not sent yet), and the sockets close once the
// peers have acknowledged every byte, or after kLinger. Bytes still held in
// jinx then end with RST, never with a clean FIN after a silent cut.
// conn_close comes at the end and counts as delivered only the bytes the
// peer acknowledged.
#pragma once

#include <uv.h>

#include <optional>
#include <string>
#include <vector>

#include "relay_direction.h"

namespace jinx {

class Dialer;
class Proxy;
struct ActiveToxic;

enum class CloseReason {
  client_closed,
  upstream_closed,
  client_reset,
  upstream_reset,
  upstream_unreachable,
  toxic,
  proxy_down,
  shutdown,
  error,
};
const char* close_reason_name(CloseReason r);

class Connection {
 public:
  Connection(Proxy& proxy, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* client() { return &client_; }
  uint64_t id() const { return id_; }
  uint64_t bytes_up() const { return up_.bytes_delivered(); }
  uint64_t bytes_down() const { return down_.bytes_delivered(); }
  Micros now() const;

  // After accept: report it, apply the proxy's active toxics, dial upstream
  // (after `dial_delay`, for slow_open).
  void start(Micros dial_delay);
  // A toxic window opened (or was open when this connection started).
  void apply(const ActiveToxic& toxic);
  void update(ToxicIndex toxic, const std::vector<double>& attrs);
  void remove(ToxicIndex toxic);

  void close(CloseReason reason, std::string error = {}, bool reset_client = false,
             bool reset_upstream = false);
  // The longest a closing connection waits for its peers to take its bytes.
  static constexpr uint64_t kLingerMs = 1500;
  void close_by_toxic(ToxicIndex toxic, bool reset);
  // Records that a toxic touched this connection (conn_close lists them).
  void note_toxic(ToxicIndex toxic);
  bool closing() const { return closing_; }

  // From the directions.
  void on_read_error(Direction dir, int status) { on_peer_error(dir, status); }
  // The source of `dir` ended its stream (FIN): the first one names the close.
  void note_end(Direction dir);
  // A direction started or stopped being held back by its buffer cap.
  void backpressure_changed();
  void on_write_error(Direction dir, int status);
  void on_end_delivered(Direction dir);

  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

  // Intrusive list of the proxy's open connections.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  ~Connection();
  void dial();
  void connect_to(const sockaddr* addr);
  void on_connected(int status);
  void on_peer_error(Direction source_dir, int status);
  // The socket's pending error (SO_ERROR) as a libuv error, or 0.
  static int pending_socket_error(uv_stream_t* stream);
  void on_handle_closed();
  void wind_down();
  void on_linger_tick();
  // Reads and drops what `socket`'s peer still sends.
  void discard_input(uv_tcp_t* socket);
  // Reports conn_close and closes every handle.
  void finish(bool reset_client, bool reset_upstream);
  void report_close(uint64_t up, uint64_t down);
  RelayDirection& direction_from(uv_stream_t* source);

  Proxy& proxy_;
  uint64_t id_;
  uv_tcp_t client_;
  uv_tcp_t upstream_;
  uv_timer_t dial_timer_;  // slow_open delay, then connect_timeout
  uv_connect_t connect_req_;
  Dialer* dialer_ = nullptr;     // while dialling an upstream given by name
  RelayDirection up_;            // client -> upstream
  RelayDirection down_;          // upstream -> client
  Block* read_block_ = nullptr;  // where reads land, while chunks of it are alive
  size_t read_offset_ = 0;       // the next read goes here in read_block_
  uint64_t opened_at_ = 0;       // uv_hrtime(), ns: durations finer than the loop clock
  uint64_t dial_started_ = 0;
  std::vector<ToxicIndex> toxics_;      // toxics that applied, in order of first use
  std::optional<Direction> first_end_;  // which side sent its FIN first
  ToxicIndex closed_by_;                // the toxic, when the reason is "toxic"
  CloseReason reason_ = CloseReason::error;
  std::string error_;
  uint64_t linger_since_ = 0;  // uv_now() when winding down began
  unsigned pending_closes_ = 0;
  bool connecting_ = false;
  bool connected_ = false;
  bool closing_ = false;   // no more relaying: winding down or finished
  bool winding_ = false;   // waiting for the peers to take the bytes
  bool finished_ = false;  // conn_close reported, handles closing
  bool watching_ = false;  // dial_timer_ checks for resets under back-pressure
};

}  // namespace jinx
