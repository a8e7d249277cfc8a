// Zero-copy relaying for directions with no toxic active: splice(2) moves
// bytes socket -> pipe -> socket inside the kernel, never through our memory.
//
// One pipe serves the whole process: the loop is single-threaded and every
// use leaves it empty again (what the sink cannot take at once is read out
// into ordinary chunks), so no direction ever finds another's bytes in it.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace jinx {

class SplicePipe {
 public:
  // The process's pipe, created on first use; nullptr when splice is not
  // available (or JINX_NO_SPLICE is set, for comparisons).
  static SplicePipe* get();

  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  size_t capacity() const { return capacity_; }

 private:
  SplicePipe() = default;
  int fds_[2] = {-1, -1};
  size_t capacity_ = 0;
};

}  // namespace jinx
