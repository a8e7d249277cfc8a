// probes.h — client-side observations for the fidelity checks: what
// arrives, when, in what pieces and in what order, and how a connection
// ends. Each probe is bounded by a deadline; times are bench::now_s().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net.h"

namespace bench {

// Numbered 16-byte records sent every `spacing` seconds over an echo
// connection and read back as they arrive (latency, stall).
struct SeqRecord {
  double sent = -1, arrived = -1;
};
struct SeqTrace {
  std::vector<SeqRecord> records;
  bool in_order = true;  // every record arrived after the one before it
  std::string error;
};
SeqTrace seq_echo(const Endpoint& to, int count, double spacing, double tail_wait);

// How a connection ended, seen from the client.
struct Ending {
  double at = -1;      // when EOF or the error was seen; -1 = still open
  int err = 0;         // 0 = EOF (FIN), else errno (ECONNRESET = RST)
  uint64_t bytes = 0;  // bytes read before it ended
};
// Reads (and counts) until EOF, an error or the deadline.
Ending read_until_end(int fd, double deadline);

// Every recv() of a connection as a piece: its size and arrival (slicer).
struct Piece {
  size_t size;
  double at;
};
// Sends `out` (whose first byte selects echo) and records the pieces of the
// echo until out.size() bytes came back or the deadline; *echoed gets them.
std::vector<Piece> record_pieces(int fd, const std::string& out, double deadline,
                                 std::string* echoed);

// Bytes/s received on each of `fds` (all reading from a source) between
// now + skip and now + skip + window.
std::vector<double> receive_rates(const std::vector<int>& fds, double skip, double window);

// Sends `out` and reads its echo concurrently (the data may exceed the
// socket buffers); then half-closes and checks that nothing more arrives.
// Returns what came back; *extra = bytes beyond out.size().
std::string echo_all(int fd, const std::string& out, double deadline, size_t* extra,
                     std::string* err);

}  // namespace bench
