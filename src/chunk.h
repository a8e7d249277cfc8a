// Chunks: the unit of data that flows through a direction's pipeline.
//
// Bytes read from a socket land in a Block (a fixed-size, reference-counted
// buffer taken from a free list, so the hot path does not call malloc). A
// Chunk is a view [offset, offset+length) of a block, stamped with the time it
// was read; a slicer can split one block into several chunks that share it.
// A chunk with `eof` set carries the end of stream (FIN) in order behind the
// data ahead of it. On an HTTP proxy, `picks` says which toxics with `match`
// picked the exchange the bytes belong to (one bit each, see match_gate.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "units.h"

namespace jinx {

struct Block {
  static constexpr size_t kSize = 256 * 1024;
  uint32_t refs = 0;
  Block* next_free = nullptr;
  char data[kSize];

  // From the free list (or the heap when it is empty), with one reference.
  static Block* take();
  void retain() { ++refs; }
  void release();
  // Frees every pooled block (tests and shutdown).
  static void trim_pool();
  static size_t pooled();
};

class Chunk {
 public:
  Chunk() = default;
  // Takes over one reference to `block`.
  Chunk(Block* block, uint32_t offset, uint32_t length, Micros read_time)
      : block_(block), offset_(offset), length_(length), read_time_(read_time) {}
  static Chunk end_of_stream(Micros read_time) {
    Chunk c;
    c.eof_ = true;
    c.read_time_ = read_time;
    return c;
  }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  Chunk(Chunk&& o) noexcept { *this = std::move(o); }
  Chunk& operator=(Chunk&& o) noexcept {
    if (this != &o) {
      reset();
      block_ = std::exchange(o.block_, nullptr);
      offset_ = o.offset_;
      length_ = std::exchange(o.length_, 0);
      read_time_ = o.read_time_;
      eof_ = o.eof_;
      picks_ = o.picks_;
    }
    return *this;
  }
  ~Chunk() { reset(); }

  char* data() const { return block_->data + offset_; }
  size_t size() const { return length_; }
  bool eof() const { return eof_; }
  Micros read_time() const { return read_time_; }
  uint32_t picks() const { return picks_; }
  void set_picks(uint32_t picks) { picks_ = picks; }

  // Splits off the first n bytes (n < size) as a chunk sharing the block.
  Chunk take_front(size_t n);
  // Absorbs `next` when it continues this chunk in the same block and was
  // read at the same time (the clock ticks in milliseconds), so a trickle of
  // tiny reads held by a toxic costs one chunk, not thousands.
  bool try_append(Chunk& next) {
    if (block_ == nullptr || block_ != next.block_ || offset_ + length_ != next.offset_ ||
        read_time_ != next.read_time_ || picks_ != next.picks_ || eof_ || next.eof_) {
      return false;
    }
    length_ += next.length_;
    next.reset();
    return true;
  }
  // Drops all but the first n bytes.
  void truncate(size_t n) { length_ = static_cast<uint32_t>(n < length_ ? n : length_); }
  void reset() {
    if (block_ != nullptr) block_->release();
    block_ = nullptr;
    length_ = 0;
  }

 private:
  Block* block_ = nullptr;
  uint32_t offset_ = 0;
  uint32_t length_ = 0;
  Micros read_time_ = 0;
  bool eof_ = false;
  uint32_t picks_ = 0;  // fits the padding: a chunk stays 32 bytes
};
static_assert(sizeof(Chunk) == 32);

}  // namespace jinx
