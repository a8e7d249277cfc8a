// Name lookups on the loop, with c-ares (the resolver Node.js pairs with
// libuv): no thread, no blocking call, so a name that never resolves costs a
// pending query, not one of libuv's four worker threads (which every other
// lookup and the session's exit would then wait for).
//
// c-ares tells which sockets it wants watched (a uv_poll each) and when it
// next needs to run for retries and timeouts (one uv_timer). It reads
// /etc/resolv.conf, and /etc/hosts first (or the file named by CARES_HOSTS),
// so `localhost` resolves without a DNS server. JINX_DNS_SERVERS replaces the
// servers of resolv.conf ("ip[:port],...": tests point it at a server that
// never answers).
//
// Every lookup ends: with its addresses, an error, or c-ares giving up
// (kTimeoutMs per try, kTries tries). Callers that stop waiting cancel their
// lookup; shutdown() ends every lookup and closes every handle, so the loop
// can close at once.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct ares_channeldata;
struct ares_addrinfo;

namespace jinx {

// One resolved address, with its port.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

class Resolver {
 public:
  // Every address of the name, IPv4 and IPv6, in c-ares's order (RFC 6724
  // preference), or a message saying why there is none.
  using Callback = std::function<void(std::vector<SocketAddress> addresses, std::string error)>;
  struct Lookup;

  static constexpr int kTimeoutMs = 2000;  // first try; c-ares doubles it on each retry
  static constexpr int kTries = 2;

  // nullptr and *err set if c-ares cannot start or JINX_DNS_SERVERS is bad.
  static std::unique_ptr<Resolver> create(uv_loop_t* loop, std::string* err);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts a lookup; `done` runs later on the loop, never from inside
  // resolve(). The returned lookup stays valid until `done` runs or cancel().
  Lookup* resolve(const std::string& host, uint16_t port, Callback done);
  // `done` of this lookup will not run.
  static void cancel(Lookup* lookup);
  // Ends every lookup (their callbacks do not run) and closes the handles.
  void shutdown();
  size_t pending() const { return pending_; }

  // At start-up, before the loop runs: resolves on a private loop, waiting.
  static bool resolve_now(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                          std::string* err);

 private:
  struct Watch;
  explicit Resolver(uv_loop_t* loop);
  static void on_sock_state(void* data, int fd, int readable, int writable);
  static void on_result(void* arg, int status, int timeouts, ares_addrinfo* result);
  void close_watch(Watch* w);
  void watch(int fd, bool readable, bool writable);
  void arm_timer();
  void deliver_ready();

  uv_loop_t* loop_;
  ares_channeldata* channel_ = nullptr;
  std::map<int, Watch*> watches_;  // a socket c-ares uses -> its poll handle
  uv_timer_t* timer_;              // c-ares's next retry or timeout
  uv_timer_t* ready_timer_;        // runs finished lookups' callbacks next turn
  std::vector<Lookup*> ready_;     // finished, callback not yet run
  size_t pending_ = 0;             // lookups c-ares still works on
  bool detached_ = false;          // destroyed off the loop: touch no handle
};

}  // namespace jinx
