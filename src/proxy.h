// A proxy of the scenario at run time: its listener, its open connections,
// and the toxics active on it. It reaches the session only through
// RelayContext. With protocol = "udp" (SPEC 12) it hands everything to a
// UdpProxy (udp_proxy.h), which has flows in place of connections.
#pragma once

#include <uv.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "close_reason.h"
#include "http_plan.h"
#include "open_toxic.h"
#include "relay_context.h"
#include "resolver.h"
#include "scenario.h"
#include "toxic_index.h"
#include "toxics/factory.h"

namespace jinx {

class Connection;
class UdpProxy;

// A toxic whose window is open on this proxy.
struct ActiveToxic : OpenToxic {
  SharedBudget budget[2];       // per direction, for bandwidth scope = "proxy"
  RequestWindowState requests;  // request toxics: counts across the proxy's connections
};

class Proxy {
 public:
  Proxy(RelayContext& context, const ProxySpec& spec);
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;
  ~Proxy();

  // Binds and listens; on failure returns a message naming proxy and address.
  bool listen(std::string* err);
  void close_listener();
  // Closes every open connection with `reason`.
  void close_connections(CloseReason reason);

  void toxic_on(const ToxicSpec& spec, ToxicIndex index, uint64_t window,
                const std::vector<double>& attrs, double toxicity);
  void toxic_update(ToxicIndex index, const std::vector<double>& attrs, double toxicity);
  void toxic_off(ToxicIndex index);

  const ProxySpec& spec() const { return *spec_; }

  // The control API (SPEC 10): a disabled proxy has no listener and no
  // connection; enabling binds again (the same port once one was bound).
  bool enabled() const { return enabled_; }
  void disable();
  bool enable(std::string* err);
  // A new listen address or upstream (the spec outlives the proxy); the
  // proxy is left disabled: enable() binds the new address.
  void retarget(const ProxySpec& spec);
  const std::string& bound_address() const;
  // Whether every address listened on is a loopback one (a name may be).
  bool listens_on_loopback_only() const;
  // The upstream as a socket address when it is an IP literal, else nullptr
  // (a name, resolved for each new connection).
  const sockaddr* literal_upstream() const {
    return upstream_addr_.empty() ? nullptr
                                  : reinterpret_cast<const sockaddr*>(upstream_addr_.data());
  }
  RelayContext& context() { return context_; }
  const std::vector<std::unique_ptr<ActiveToxic>>& active() const { return active_; }
  // Open connections, or open flows of a UDP proxy.
  size_t open_connections() const;
  // Adds the bytes delivered so far by open connections.
  void live_bytes(uint64_t* up, uint64_t* down) const;
  // Bytes delivered each way by every connection of this proxy so far, and
  // connections accepted (GET /metrics).
  void total_bytes(uint64_t* up, uint64_t* down) const;
  // Bytes read from the client (up) and from the upstream (down) since the
  // start, before any toxic: Toxiproxy's received bytes.
  void total_received(uint64_t* up, uint64_t* down) const;
  uint64_t accepted() const { return accepted_; }
  // Adds what the open flows of a UDP proxy carried so far.
  void live_flow_totals(FlowTotals* totals) const;
  // HTTP proxies: exchanges by status class, [0] none, [1] 1xx ... [5] 5xx,
  // for the closing summary.
  void count_http_status(unsigned status) {
    ++http_statuses_[status >= 100 && status < 600 ? status / 100 : 0];
  }
  const std::array<uint64_t, 6>& http_statuses() const { return http_statuses_; }

  // Connection bookkeeping.
  void forget(Connection* conn);
  // File descriptors running out: stop accepting (the listener closes, so
  // clients are refused rather than accepted and dropped), and start again.
  void pause_accepting();
  void resume_accepting();

 private:
  class Listener;
  // Binds and listens on one address; on success the first one learns its port.
  int bind_listener(SocketAddress* addr);
  void on_accept(uv_stream_t* server, int status);
  // Open slow_open windows; the longest delay applies to new connections.
  struct SlowOpen {
    ToxicIndex toxic;
    Micros delay;
  };
  const SlowOpen* slowest_open() const;
  void go_down();
  void read_upstream();
  void come_up();

  RelayContext& context_;
  const ProxySpec* spec_;  // retarget() may point it elsewhere
  bool enabled_ = true;
  // One per address of the listen host (localhost: 127.0.0.1 and ::1); each
  // deletes itself in its close callback.
  std::vector<Listener*> listeners_;
  std::string bound_;                        // the first "ip:port" bound (proxy_listen)
  std::vector<SocketAddress> listen_addrs_;  // with the real port, reused after `down`
  std::vector<char> upstream_addr_;          // sockaddr bytes when the upstream is an IP literal
  Connection* connections_ = nullptr;
  size_t open_count_ = 0;
  uint64_t accepted_ = 0;
  uint64_t closed_up_ = 0;  // delivered by connections that have finished
  uint64_t closed_down_ = 0;
  uint64_t closed_received_up_ = 0;  // read by connections that have finished
  uint64_t closed_received_down_ = 0;
  std::vector<std::unique_ptr<ActiveToxic>> active_;
  int down_windows_ = 0;
  bool accept_paused_ = false;
  std::vector<SlowOpen> slow_opens_;
  uv_timer_t* rebind_timer_ = nullptr;
  std::unique_ptr<UdpProxy> udp_;  // protocol = "udp": it does everything
  std::array<uint64_t, 6> http_statuses_{};
};

}  // namespace jinx
