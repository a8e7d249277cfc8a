// The traffic of the soak: client connections on the soak's loop, and the
// upstreams they reach through jinx.
//
// A client's first byte says what it wants. The codes are four bytes far
// apart (Hamming distance >= 4), so a bit that `corrupt` flips on the way
// up still decodes to the right request:
//   0x00  echo: the server returns every following byte; the client streams
//         the pattern from a random offset with a bounded window in flight,
//         then shuts down its write side and reads until EOF
//   0xFF  download 16 KiB  \   the server sends a fixed stretch of the
//   0x0F  download 256 KiB  >  pattern, then FIN; the client has shut down
//   0xF0  download 2 MiB   /   its write side right after the request
// The server ends its side only after the peer's FIN (or an error), so it
// never resets a connection by closing with unread data.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "epoll_server.h"
#include "loop.h"
#include "pattern.h"

namespace soak {

enum class Request : uint8_t { echo = 0x00, small = 0xFF, medium = 0x0F, large = 0xF0 };

// Request codes in order, with the download sizes and pattern offsets.
struct RequestInfo {
  Request code;
  const char* name;
  uint64_t bytes;  // download size (0 for echo)
  uint64_t base;   // pattern offset of the download
};
const RequestInfo& request_info(Request r);
// The nearest code to a (possibly corrupted) request byte.
Request decode_request(uint8_t byte);

// One upstream (127.0.0.1, port 0) serving the requests above: the
// harness's epoll server, on a thread of its own.
std::unique_ptr<jinx_test::EpollServer> start_upstream(const Pattern& pattern);

// How a client connection ended, from the client's side.
enum class End { none, connect_failed, eof, error, stuck };

class Client;
// Called when a client has closed its socket.
using ClientDone = std::function<void(Client&)>;

class Client : public Pollable {
 public:
  Client(Loop& loop, const Pattern& pattern, uint64_t id, int slot, int proxy, Request req,
         uint64_t echo_bytes, uint64_t echo_base, uint32_t seed, ClientDone done);
  ~Client() override;

  // Starts a non-blocking connect from this client's own source address.
  void start(const std::string& target);
  void on_events(uint32_t events) override;
  // Gives up on a client that made no progress (the soak's watchdog).
  void abandon();

  uint64_t id() const { return id_; }
  int slot() const { return slot_; }
  int proxy() const { return proxy_; }
  Request request() const { return req_; }
  // The unique 127.x.y.z source address of this client (host byte order).
  uint32_t ip() const { return ip_; }
  static uint32_t ip_for(uint64_t id);
  static std::string ip_string(uint32_t ip);

  bool connected() const { return connected_; }
  bool finished() const { return end_ != End::none; }
  End end() const { return end_; }
  int error() const { return error_; }
  uint64_t expected() const;               // bytes a complete, intact run would receive
  uint64_t sent() const { return sent_; }  // data bytes sent (after the request byte)
  bool sent_request() const { return request_sent_; }
  const Verifier& received() const { return verifier_; }
  Clock::time_point started_at() const { return started_; }
  Clock::time_point last_progress() const { return progress_; }
  std::string describe() const;

  // Filled in from jinx's events.
  int64_t conn = -1;
  bool close_seen = false;
  std::string close_reason;
  std::vector<std::string> close_toxics;
  uint64_t jinx_bytes_up = 0, jinx_bytes_down = 0;

 private:
  void on_connected();
  void read_some();
  void write_some();
  void update_interest();
  void finish(End end, int error);

  Loop& loop_;
  const Pattern& pattern_;
  uint64_t id_;
  int slot_, proxy_;
  Request req_;
  uint32_t ip_;
  std::minstd_rand rng_;
  ClientDone done_;

  int fd_ = -1;
  bool connected_ = false;
  bool request_sent_ = false;
  bool write_shut_ = false;
  bool read_eof_ = false;
  uint32_t interest_ = 0;
  uint64_t echo_bytes_ = 0;  // echo: bytes to send after the request
  uint64_t sent_ = 0;
  Verifier verifier_;
  End end_ = End::none;
  int error_ = 0;
  Clock::time_point started_{}, progress_{};
};

const char* end_name(End e);

}  // namespace soak
