#include "splice_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

namespace jinx {

SplicePipe* SplicePipe::get() {
  static SplicePipe* pipe = []() -> SplicePipe* {
    const char* off = std::getenv("JINX_NO_SPLICE");
    if (off != nullptr && *off != '\0' && *off != '0') return nullptr;
    auto* p = new SplicePipe;
    if (pipe2(p->fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
      delete p;
      return nullptr;
    }
    // A bigger pipe moves more per system call; 1 MiB is the unprivileged
    // maximum by default. Keep whatever the kernel grants.
    fcntl(p->fds_[1], F_SETPIPE_SZ, 1 << 20);
    int size = fcntl(p->fds_[1], F_GETPIPE_SZ);
    p->capacity_ = size > 0 ? static_cast<size_t>(size) : 65536;
    return p;
  }();
  return pipe;
}

}  // namespace jinx
