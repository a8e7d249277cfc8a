// Zero-copy relaying for directions with no toxic active: splice(2) moves
// bytes socket -> pipe -> socket inside the kernel, never through our memory.
//
// One pipe serves the whole process: the loop is single-threaded and a
// direction that finds its sink full takes the shared pipe with what is
// left in it (take()) instead of copying those bytes out; the next get()
// then hands out a spare pipe. A direction gives its pipe back empty
// (give_back()) for the next full sink. At most kMaxPipes exist: their
// descriptors come out of the few the session keeps beside the two per
// connection (session.cc), and with all of them parked, get() says no and
// directions read and write through memory until one comes back.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace jinx {

class SplicePipe {
 public:
  // The process's shared pipe, created on first use; nullptr when splice is
  // not available (or JINX_NO_SPLICE is set, for comparisons).
  static SplicePipe* get();
  // Hands the shared pipe, with the bytes in it, to the caller.
  static SplicePipe* take();
  // An emptied pipe comes back, for the next get().
  static void give_back(SplicePipe* pipe);
  // Closes a pipe whose bytes no longer matter.
  static void discard(SplicePipe* pipe);

  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  size_t capacity() const { return capacity_; }

 private:
  static constexpr size_t kMaxPipes = 4;
  static SplicePipe* create();
  SplicePipe() = default;
  ~SplicePipe();
  int fds_[2] = {-1, -1};
  size_t capacity_ = 0;
};

}  // namespace jinx
