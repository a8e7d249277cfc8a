// clients.h — the client side of each measurement.
//
// Every generator is bounded twice: by a duration and by a count or a
// per-operation timeout, so a relay that stalls makes a bad figure, never a
// hung benchmark. Each talks to the bench's upstream EpollServer in "select"
// mode: the first byte of a connection chooses echo, sink or source.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "net.h"

namespace bench {

struct BulkResult {
  double mb_per_s = 0;       // 10^6 bytes per second, measured at the receiver
  uint64_t total_bytes = 0;  // everything received during the run (for CPU/GiB)
  std::string error;         // "" if data flowed
};

// `streams` connections push bytes as fast as they can for warmup + window
// seconds: upload = client -> upstream sink; download = upstream source ->
// client. The rate is taken over the window only. `tick` runs every ~100 ms
// on the calling thread (to sample the relay's memory).
BulkResult run_bulk(const Endpoint& to, EpollServer& upstream, int streams, bool upload,
                    double warmup, double window, const std::function<void()>& tick);

struct PingResult {
  std::vector<double> rtt_us;  // one per round trip, after a warm-up
  std::string error;
};

// 64-byte ping-pong on one connection (TCP_NODELAY) for up to `seconds` or
// `max_count` round trips.
PingResult run_pingpong(const Endpoint& to, size_t size, double seconds, int max_count);

struct ChurnResult {
  double per_s = 0;  // completed connections per second
  uint64_t completed = 0, failed = 0;
  std::string first_error;
};

// Connect, one 64-byte round trip, close; `concurrency` at a time, for
// `seconds`. Each connection has 2 s to complete or counts as failed.
ChurnResult run_churn(const Endpoint& to, int concurrency, double seconds);

// Idle connections held open by the client.
class IdleSet {
 public:
  ~IdleSet() { close_all(); }
  // Opens connections until `total` are open and the upstream has accepted
  // them all (so the relay holds both sides), each then carrying one 64 B
  // echo, or until `deadline` (bench::now_s() time). Returns false + err if
  // it could not.
  bool grow_to(const Endpoint& to, const EpollServer& upstream, size_t total, double deadline,
               std::string* err);
  size_t size() const { return fds_.size(); }
  void close_all();

 private:
  // One 64 B round trip on each connection from index `from` on.
  bool echo_once(size_t from, std::string* err);
  std::vector<int> fds_;
  int64_t upstream_base_ = -1;  // upstream connections open before the first
};

}  // namespace bench
