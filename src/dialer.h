// Dials an upstream given by name: resolves it on the loop (resolver.h), then
// tries each address in turn until one connects, as curl and Go's dialer do.
// A name often has several: Debian's /etc/hosts gives `localhost` both ::1
// and 127.0.0.1, ::1 first, and a service listening on 127.0.0.1 only must
// still be reached.
//
// Each attempt gets a share of the time left (the time left divided by the
// addresses left, but at least 2 s when there is that much), so one address
// that swallows SYNs does not use up the whole connect_timeout. The caller
// keeps its own deadline for the whole dial and cancels the dialer when it
// passes.
//
// An attempt is a non-blocking socket watched by a uv_poll until it is
// writable; the one that connects is handed to the caller's uv_tcp_t
// (uv_tcp_open), the others are closed.
//
// Ownership: the dialer lives on the heap and deletes itself (in its timer's
// close callback) after it has reported or been cancelled; each attempt's
// poll handle is freed in its own close callback.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resolver.h"

namespace jinx {

class Dialer {
 public:
  // An empty error: `target` holds the connected socket. Otherwise why no
  // address connected ("cannot resolve ...", or each address's error).
  using Done = std::function<void(const std::string& error)>;

  // Starts dialling host:port into `target` (initialised, not yet open).
  // `done` runs later on the loop, never from inside start().
  static Dialer* start(uv_loop_t* loop, Resolver& resolver, const std::string& host, uint16_t port,
                       uint64_t timeout_ms, uv_tcp_t* target, Done done);
  // Waits for `fd`, a socket already connecting (to the address `name`
  // stands for), and hands it to `target` as start() would; the error is
  // then "cannot connect to NAME: WHY". No deadline of its own: the caller
  // cancels it when its connect timeout passes.
  static Dialer* watch(uv_loop_t* loop, int fd, const std::string& name, uv_tcp_t* target,
                       Done done);
  // `done` will not run; the attempt in flight is closed. The dialer frees
  // itself: do not use it afterwards.
  void cancel();
  // Still waiting for the name's addresses.
  bool resolving() const { return lookup_ != nullptr; }

  Dialer(const Dialer&) = delete;
  Dialer& operator=(const Dialer&) = delete;

  // The time one attempt gets: its share of what is left (Go's rule).
  static uint64_t attempt_timeout_ms(uint64_t remaining_ms, size_t addresses_left);

 private:
  struct Attempt;
  Dialer(uv_loop_t* loop, uv_tcp_t* target, Done done, std::string name);
  ~Dialer() = default;
  void on_resolved(std::vector<SocketAddress> addresses, const std::string& error);
  void try_next();
  bool start_attempt(const SocketAddress& address);
  // Watches `fd` until it is writable (connected, or failed).
  void watch_attempt(int fd, std::string address);
  void on_attempt_ready(int status);
  void on_attempt_timeout();
  void abandon_attempt();
  void finish(const std::string& error);
  void stop();

  uv_loop_t* loop_;
  uv_tcp_t* target_;
  Done done_;
  std::string name_;       // "host:port", for messages
  uv_timer_t timer_;       // the current attempt's share of the time
  uint64_t deadline_ = 0;  // uv_now() when the whole dial is due
  Resolver::Lookup* lookup_ = nullptr;
  std::vector<SocketAddress> addresses_;
  size_t next_ = 0;                    // the next address to try
  Attempt* attempt_ = nullptr;         // the connect in flight
  std::vector<std::string> failures_;  // "address: error" per address tried
  bool stopped_ = false;
};

}  // namespace jinx
