// A UDP proxy at run time (SPEC 12): its sockets on the listen address, a
// flow per client address, and the toxics active on it. The TCP Proxy
// delegates to it when the scenario says protocol = "udp", so the session
// and the timeline see one kind of proxy.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "open_toxic.h"
#include "relay_context.h"
#include "resolver.h"
#include "scenario.h"
#include "toxic_index.h"
#include "udp_socket.h"

namespace jinx {

class UdpFlow;

// A toxic whose window is open on a UDP proxy.
class UdpProxy {
 public:
  // `upstream` is the upstream's address when it is an IP literal, else
  // nullptr: each flow resolves the name.
  UdpProxy(RelayContext& context, const ProxySpec& spec, const sockaddr* upstream);
  UdpProxy(const UdpProxy&) = delete;
  UdpProxy& operator=(const UdpProxy&) = delete;
  ~UdpProxy();

  bool listen(std::string* err);
  void close_listener();
  void close_flows(const char* reason);

  void toxic_on(const ToxicSpec& spec, ToxicIndex index, uint64_t window,
                const std::vector<double>& attrs, double toxicity);
  void toxic_update(ToxicIndex index, const std::vector<double>& attrs, double toxicity);
  void toxic_off(ToxicIndex index);

  const std::string& bound_address() const { return bound_; }
  bool listens_on_loopback_only() const;
  size_t open_flows() const { return flows_.size(); }
  void live_bytes(uint64_t* up, uint64_t* down) const;
  void live_totals(FlowTotals* totals) const;
  // Adds the bytes read from clients (up) and the upstream (down), by
  // open flows and by those closed.
  void total_received(uint64_t* up, uint64_t* down) const;

  // For flows.
  RelayContext& context() { return context_; }
  const ProxySpec& spec() const { return spec_; }
  const sockaddr* upstream() const { return upstream_.length > 0 ? upstream_.get() : nullptr; }
  UdpReceiver& receiver() { return receiver_; }
  UdpOutbox& outbox() { return outbox_; }
  const std::vector<std::unique_ptr<OpenToxic>>& active() const { return active_; }
  void forget(UdpFlow* flow);

 private:
  class Listener;
  static constexpr int kRoundsPerWakeup = 4;
  int bind_listener(SocketAddress* addr);
  void on_readable(Listener& listener);
  UdpFlow* flow_for(Listener& listener, const sockaddr* from, socklen_t length);
  void refuse(const std::string& why, bool* warned);
  void drop_one();

  RelayContext& context_;
  const ProxySpec& spec_;
  SocketAddress upstream_;
  std::vector<Listener*> listeners_;  // each deletes itself in its close callback
  std::vector<SocketAddress> listen_addrs_;
  std::string bound_;
  std::unordered_map<std::string, UdpFlow*> flows_;  // by client address
  UdpFlow* last_flow_ = nullptr;                     // of the last datagram read
  uint64_t closed_received_up_ = 0;                  // by flows that have finished
  uint64_t closed_received_down_ = 0;
  std::vector<std::unique_ptr<OpenToxic>> active_;
  UdpReceiver receiver_;
  UdpOutbox outbox_;
  int down_windows_ = 0;
  bool warned_full_ = false;    // max_flows reached, said once
  bool warned_socket_ = false;  // a flow's socket could not be opened, said once
};

}  // namespace jinx
