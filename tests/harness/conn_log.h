// What a test server saw on each of its connections: bytes, digest, arrival
// times, how the stream ended. Thread-safe; tests wait on it with deadlines.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "byte_stream.h"
#include "clock.h"
#include "socket.h"

namespace jinx_test {

struct ConnRecord {
  int index = 0;  // 1-based accept order at this server
  Clock::time_point accepted{};
  uint64_t bytes = 0;                   // bytes received
  uint64_t digest = Fnv1a64().value();  // FNV-1a 64 of bytes received
  std::string data;                     // bytes received, if the log keeps them
  std::vector<Arrival> arrivals;        // one per recv() with data
  uint64_t sent = 0;                    // bytes the server sent
  int send_error = 0;
  bool eof = false;   // the client's FIN arrived
  int error = 0;      // recv() errno (ECONNRESET, ...)
  bool done = false;  // the server is finished with it
  Clock::time_point finished{};
};

class ConnLog {
 public:
  explicit ConnLog(bool keep_data = false) : keep_data_(keep_data) {}

  void open(int index, Clock::time_point accepted);
  void received(int index, const char* data, size_t n);
  void sent(int index, uint64_t n, int error);
  void finish(int index, bool eof, int error);

  // Waits until connection `index` (1-based) is finished; nullopt on timeout.
  std::optional<ConnRecord> wait_done(int index, ms timeout);
  // Waits until connection `index` has received at least n bytes (or ended).
  bool wait_bytes(int index, uint64_t n, ms timeout);
  // Waits until at least n connections were opened.
  bool wait_opened(size_t n, ms timeout);
  // A copy of connection `index` as it is now (a default record if unknown).
  ConnRecord get(int index);
  size_t opened();

 private:
  bool keep_data_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, ConnRecord> conns_;
  std::map<int, Fnv1a64> fnv_;
};

}  // namespace jinx_test
