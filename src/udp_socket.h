// UDP sockets on the loop, in batches: recvmmsg(2) reads up to kBatch
// datagrams per system call, and the outbox sends what a turn of the loop
// produced with sendmmsg(2), one call per run of datagrams on the same socket.
// Within a run, datagrams of one size to one address go as one UDP_SEGMENT
// (GSO) message: the kernel builds one packet for the bundle and splits it at
// the receiver, saving most of the per-datagram cost of sending.
// Both are plain system calls on non-blocking sockets watched by uv_poll: a
// datagram that finds the socket's send buffer full is dropped and counted,
// as a full queue on a router would.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "datagram_stage.h"

namespace jinx {

// A non-blocking, close-on-exec datagram socket of `family`; -errno on failure.
int open_udp_socket(int family);
// Takes (and so clears) a socket's pending error, 0 if none. libuv stops a
// uv_poll on POLLERR (ICMP port unreachable on a connected UDP socket sets
// it): the caller clears the error, then starts the poll again.
int take_socket_error(int fd);
// Asks for `bytes` of receive and send buffer, beyond net.core.rmem_max when
// allowed (CAP_NET_ADMIN), else up to it: bursts then wait in the kernel
// rather than being dropped while the loop is busy.
void grow_socket_buffers(int fd, int bytes);

// Receive buffers for recvmmsg, shared by all the sockets of one proxy (the
// loop has one thread, and each batch is handled before the next is read).
class UdpReceiver {
 public:
  static constexpr size_t kBatch = 32;
  static constexpr size_t kMaxDatagram = 65536;  // any IPv4/IPv6 UDP payload fits

  UdpReceiver();
  // Reads up to kBatch datagrams; their count, or -errno (-EAGAIN: none).
  int receive(int fd);
  const char* data(size_t i) const { return buffers_.data() + i * kMaxDatagram; }
  size_t size(size_t i) const { return messages_[i].msg_len; }
  const sockaddr* from(size_t i) const { return reinterpret_cast<const sockaddr*>(&from_[i]); }
  socklen_t from_length(size_t i) const { return messages_[i].msg_hdr.msg_namelen; }

 private:
  std::vector<char> buffers_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iov_;
  std::vector<sockaddr_storage> from_;
};

// Datagrams waiting to be sent at the end of this turn of the loop.
class UdpOutbox {
 public:
  // Told of each datagram the kernel refused, with -errno.
  class Owner {
   public:
    virtual void send_failed(int error) = 0;

   protected:
    ~Owner() = default;
  };

  // `to` is nullptr for a connected socket.
  void add(int fd, const sockaddr* to, socklen_t to_length, Datagram&& d, Owner* owner);
  // The same without a copy, for a datagram no toxic touches: `data` stays
  // valid until flush(), as the receive buffers do until the next receive.
  void add_view(int fd, const sockaddr* to, socklen_t to_length, const char* data, size_t size,
                Owner* owner);
  // Sends everything; datagrams refused are reported to their owner.
  void flush();
  // Forgets an owner that is going away (its datagrams still go out).
  void forget(const Owner* owner);
  bool empty() const { return items_.empty(); }
  // False once the kernel refused a UDP_SEGMENT bundle: one message each since.
  bool bundling() const { return gso_; }

 private:
  struct Item {
    int fd;
    sockaddr_storage to;
    socklen_t to_length;
    Datagram datagram;
    Owner* owner;
    const char* view = nullptr;  // add_view: the bytes, in place of datagram's
    size_t view_size = 0;

    size_t size() const { return view != nullptr ? view_size : datagram.size(); }
  };
  // Items [begin, end) that go out as one message.
  struct Bundle {
    size_t begin;
    size_t end;
  };
  struct Control {
    alignas(cmsghdr) char bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  static constexpr size_t kMaxMessages = 64;
  static constexpr size_t kMaxSegments = 64;         // the kernel's UDP_MAX_SEGMENTS
  static constexpr size_t kMaxBundleBytes = 65'000;  // within one IPv4/IPv6 packet

  void send_run(size_t begin, size_t end);
  size_t bundle_end(size_t begin, size_t end) const;
  void fill_message(size_t m, size_t run_begin);
  static bool gso_unsupported(int error);

  std::vector<Item> items_;
  std::vector<Bundle> bundles_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iov_;
  std::vector<Control> controls_;
  bool gso_ = true;
};

}  // namespace jinx
