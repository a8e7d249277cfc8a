// One UDP flow (SPEC 12): the datagrams between one client address and the
// upstream, through a connected socket of its own so replies come back to
// this client. Two directions, each a DatagramPipeline of the toxics active
// on it; one timer serves both the stages' wake-ups and the idle timeout.
//
// Owned by its proxy's table of flows until close(), then by its libuv
// handles: it deletes itself when the last one has closed.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <deque>
#include <string>
#include <vector>

#include "datagram_pipeline.h"
#include "relay_context.h"
#include "resolver.h"
#include "scenario.h"
#include "timer_heap.h"
#include "udp_socket.h"

namespace jinx {

class UdpProxy;
struct OpenToxic;

class UdpFlow final : private UdpOutbox::Owner {
 public:
  UdpFlow(UdpProxy& proxy, uint64_t id, std::string key, int listen_fd, const sockaddr* client,
          socklen_t client_length);
  UdpFlow(const UdpFlow&) = delete;
  UdpFlow& operator=(const UdpFlow&) = delete;

  // Opens the upstream socket, or starts resolving the upstream's name.
  void start();
  void from_client(const char* data, size_t size);
  // The upstream socket is readable, or has an error (status < 0).
  void from_upstream(int status);
  // A stage is due (stage_timer_).
  void on_stage_timer();

  void apply(const OpenToxic& toxic);
  void update(ToxicIndex toxic, const std::vector<double>& attrs);
  void remove(ToxicIndex toxic);

  // Ends the flow with `reason` (idle, proxy_down, shutdown, error), says so
  // in flow_close, and lets its handles close. Idempotent.
  void close(const char* reason, const std::string& error = {});

  uint64_t id() const { return id_; }
  const std::string& key() const { return key_; }
  const FlowTotals& totals() const { return totals_; }

 private:
  // One direction: the pipeline and its owner's side of it.
  class Way final : public DatagramPipelineOwner {
   public:
    Way(UdpFlow& flow, Direction d, uint64_t buffer)
        : flow_(flow), direction_(d), pipeline_(*this, buffer) {}
    Micros now() const override;
    void deliver(Datagram&& d) override { flow_.deliver(direction_, std::move(d)); }
    void counted(ToxicIndex toxic, DatagramFate fate) override { flow_.counted(toxic, fate); }
    void overflowed(size_t /*bytes*/) override { ++flow_.totals_.dropped; }
    DatagramPipeline& pipeline() { return pipeline_; }
    Direction direction() const { return direction_; }
    uint64_t next_number() { return ++read_; }

   private:
    UdpFlow& flow_;
    Direction direction_;
    DatagramPipeline pipeline_;
    uint64_t read_ = 0;
  };
  struct ToxicCounts {
    ToxicIndex toxic;
    std::array<uint64_t, kDatagramFates> fates{};
  };

  ~UdpFlow() = default;  // from on_handle_closed only
  void connect(const sockaddr* upstream, socklen_t length);
  void watch_upstream();
  void push(Way& way, const char* data, size_t size);
  void deliver(Direction d, Datagram&& datagram);
  void counted(ToxicIndex toxic, DatagramFate fate);
  void send_failed(int error) override;
  void note_unreachable();
  // Starts the timer for the next stage wake-up or the idle deadline, if
  // that is earlier than the one it is set for.
  void arm(bool force = false);
  void on_timer();
  void report_close(const char* reason, const std::string& error);
  void on_handle_closed();

  UdpProxy& proxy_;
  RelayContext& context_;
  uint64_t id_;
  std::string key_;  // in the proxy's table
  int listen_fd_;
  sockaddr_storage client_{};
  socklen_t client_length_;
  int fd_ = -1;  // the connected upstream socket
  uv_poll_t poll_;
  uv_timer_t timer_;  // the idle timeout
  Resolver::Lookup* lookup_ = nullptr;
  std::deque<Datagram> waiting_;  // for the upstream's name to resolve
  uint64_t waiting_bytes_ = 0;
  Way up_;
  Way down_;
  Micros last_activity_ = 0;
  Micros armed_for_ = kNever;  // of timer_
  // The stages' next wake-up, to the microsecond (the session's LoopTimers):
  // libuv's millisecond timers made a latency of 50ms read 51-52.
  MicroTimer stage_timer_;
  FlowTotals totals_;
  std::vector<ToxicCounts> toxics_;
  uint64_t unreachable_ = 0;  // datagrams refused with ICMP port unreachable
  int pending_closes_ = 1;    // the timer; the poll once the socket is open
  bool closing_ = false;
  Micros opened_at_;
};

}  // namespace jinx
