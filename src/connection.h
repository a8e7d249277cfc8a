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
// A plain close still lets the kernel deliver what it holds; a side that is
// reset loses it, so conn_close (which comes at the end) then counts only
// the bytes that peer acknowledged.
//
// Upward, a connection talks to its Proxy (spec, active toxics, the list it
// is in) and to the session only through RelayContext; downward, its two
// RelayDirections report through DirectionOwner. An HTTP-aware connection
// (SPEC 11) is meant to be a sibling owner of the same two directions that
// also sees requests; the dialling and the closing here are what it would
// share.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "close_reason.h"
#include "relay_direction.h"

namespace jinx {

class Dialer;
class HttpLayer;
class Proxy;
class RelayContext;
struct ActiveToxic;

class Connection final : public DirectionOwner {
 public:
  Connection(Proxy& proxy, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* client() { return &client_; }
  uint64_t id() const { return id_; }
  uint64_t bytes_up() const { return up_.bytes_delivered(); }
  uint64_t bytes_down() const { return down_.bytes_delivered(); }
  uint64_t received_up() const { return up_.bytes_received(); }
  uint64_t received_down() const { return down_.bytes_received(); }
  Micros now() const override;

  // After accept: report it, apply the proxy's active toxics, dial upstream
  // (after `dial_delay`, for slow_open).
  void start(Micros dial_delay);
  // A toxic window opened (or was open when this connection started).
  void apply(const ActiveToxic& toxic);
  void update(ToxicIndex toxic, const std::vector<double>& attrs);
  void remove(ToxicIndex toxic);

  void close(CloseReason reason, std::string error = {}, bool reset_client = false,
             bool reset_upstream = false);
  // The upstream cannot be reached (answering_only_ below): a request must
  // go there, so the connection ends with upstream_unreachable.
  void needs_upstream();
  // The longest a closing connection waits for its peers to take its bytes.
  static constexpr uint64_t kLingerMs = 1500;
  // Records that a toxic touched this connection (conn_close lists them).
  void note_toxic(ToxicIndex toxic);
  bool closing() const { return closing_; }

  // DirectionOwner
  void source_ended(Direction dir) override;
  void read_failed(Direction dir, int status) override { on_peer_error(dir, status); }
  void write_failed(Direction dir, int status) override;
  void end_delivered(Direction dir) override;
  void backpressure_changed() override;
  void toxic_close(ToxicIndex toxic, bool reset) override;
  bool closes_after_end(Direction dir) const override;

  // Intrusive list of the proxy's open connections.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  ~Connection();
  void dial();
  void connect_to(const sockaddr* addr);
  void on_connected();
  // The dial failed: close, or on an HTTP proxy that may answer requests
  // itself, carry on without the upstream.
  void upstream_unreachable(std::string error);
  // 0 once connected, kStillConnecting, or why it failed (a libuv error).
  static constexpr int kStillConnecting = 1;
  static int handshake_status(int fd);
  void on_peer_error(Direction source_dir, int status);
  void on_handle_closed();
  void wind_down();
  void on_linger_tick();
  // Reads and drops what `socket`'s peer still sends.
  void discard_input(uv_tcp_t* socket);
  // Reports conn_close and closes every handle.
  void finish(bool reset_client, bool reset_upstream);
  void report_close(uint64_t up, uint64_t down);

  Proxy& proxy_;
  RelayContext& context_;
  uint64_t id_;
  uv_tcp_t client_;
  uv_tcp_t upstream_;
  // One timer for the connection's successive waits: the slow_open delay,
  // then connect_timeout, then (connected) the back-pressure watch, then
  // (closing) the linger ticks. `waiting_for_` says which.
  enum class Wait : uint8_t { dial, connect, watch, linger };
  static void on_wait_over(MicroTimer& timer);
  void wait(Wait what, Micros delay);
  void on_connect_timeout();
  // Whether a peer's reset could go unseen: a direction that stopped
  // reading (back-pressure), or a side whose FIN was read while the other
  // side goes on (half-closed).
  bool needs_reset_watch() const;
  void watch_for_resets();
  void on_watch_tick();
  MicroTimer timer_;
  Dialer* dialer_ = nullptr;         // while dialling a name, or a connect not done at once
  RelayDirection up_;                // client -> upstream
  RelayDirection down_;              // upstream -> client
  std::unique_ptr<HttpLayer> http_;  // on an HTTP proxy: follows the requests (http_layer.h)
  uint64_t opened_at_ = 0;           // uv_hrtime(), ns: durations finer than the loop clock
  uint64_t dial_started_ = 0;
  std::vector<ToxicIndex> toxics_;      // toxics that applied, in order of first use
  std::optional<Direction> first_end_;  // which side sent its FIN first
  ToxicIndex closed_by_;                // the toxic, when the reason is "toxic"
  CloseReason reason_ = CloseReason::error;
  std::string error_;
  uint64_t linger_since_ = 0;  // uv_now() when winding down began
  unsigned pending_closes_ = 0;
  // The upstream is unreachable and jinx answers the client's requests
  // itself for as long as a request toxic picks them; `unreachable_` says why.
  bool answering_only_ = false;
  std::string unreachable_;
  bool client_ended_ = false;   // the client sent its FIN
  unsigned sources_ended_ = 0;  // FINs read, 0 to 2
  bool connected_ = false;
  bool closing_ = false;   // no more relaying: winding down or finished
  bool winding_ = false;   // waiting for the peers to take the bytes
  bool finished_ = false;  // conn_close reported, handles closing
  Wait waiting_for_ = Wait::dial;
  bool watching_ = false;  // timer_ checks for resets (watch_for_resets)
};

}  // namespace jinx
