#include "chunk.h"

#include <new>

namespace jinx {
namespace {

// The loop is single-threaded, so the pool needs no lock. It keeps a bounded
// number of blocks: enough to serve a busy relay without malloc, few enough
// that idle memory stays small once a burst is over.
constexpr size_t kMaxPooled = 16;
Block* free_list = nullptr;
size_t free_count = 0;

}  // namespace

Block* Block::take() {
  Block* b = free_list;
  if (b != nullptr) {
    free_list = b->next_free;
    --free_count;
  } else {
    b = new Block;
  }
  b->refs = 1;
  b->next_free = nullptr;
  return b;
}

void Block::release() {
  if (--refs > 0) return;
  if (free_count >= kMaxPooled) {
    delete this;
    return;
  }
  next_free = free_list;
  free_list = this;
  ++free_count;
}

void Block::trim_pool() {
  while (free_list != nullptr) {
    Block* b = free_list;
    free_list = b->next_free;
    delete b;
  }
  free_count = 0;
}

size_t Block::pooled() {
  return free_count;
}

Chunk Chunk::take_front(size_t n) {
  block_->retain();
  Chunk front(block_, offset_, static_cast<uint32_t>(n), read_time_);
  front.picks_ = picks_;
  offset_ += static_cast<uint32_t>(n);
  length_ -= static_cast<uint32_t>(n);
  return front;
}

}  // namespace jinx
