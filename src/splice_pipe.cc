#include "splice_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace jinx {

namespace {

bool splice_disabled() {
  const char* off = std::getenv("JINX_NO_SPLICE");
  return off != nullptr && *off != '\0' && *off != '0';
}

SplicePipe* shared = nullptr;
size_t pipes = 0;  // open: shared, parked by a direction, or spare
std::vector<SplicePipe*>& spares() {
  static auto* list = new std::vector<SplicePipe*>;
  return *list;
}

}  // namespace

SplicePipe* SplicePipe::create() {
  if (pipes >= kMaxPipes) return nullptr;
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
  ++pipes;
  return p;
}

SplicePipe::~SplicePipe() {
  if (fds_[0] >= 0) --pipes;
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

SplicePipe* SplicePipe::get() {
  static const bool disabled = splice_disabled();
  if (disabled) return nullptr;
  if (shared == nullptr) {
    if (!spares().empty()) {
      shared = spares().back();
      spares().pop_back();
    } else {
      shared = create();
    }
  }
  return shared;
}

SplicePipe* SplicePipe::take() {
  SplicePipe* pipe = get();
  shared = nullptr;
  return pipe;
}

void SplicePipe::give_back(SplicePipe* pipe) {
  spares().push_back(pipe);
}

void SplicePipe::discard(SplicePipe* pipe) {
  delete pipe;
}

}  // namespace jinx
