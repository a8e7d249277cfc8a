#include "udp_socket.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace jinx {

int open_udp_socket(int family) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

int take_socket_error(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

void grow_socket_buffers(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  }
}

UdpReceiver::UdpReceiver()
    : buffers_(kBatch * kMaxDatagram), messages_(kBatch), iov_(kBatch), from_(kBatch) {}

int UdpReceiver::receive(int fd) {
  for (size_t i = 0; i < kBatch; ++i) {
    iov_[i] = {buffers_.data() + i * kMaxDatagram, kMaxDatagram};
    messages_[i] = {};
    messages_[i].msg_hdr.msg_iov = &iov_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
    messages_[i].msg_hdr.msg_name = &from_[i];
    messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  int n = recvmmsg(fd, messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
  return n < 0 ? -errno : n;
}

void UdpOutbox::add(int fd, const sockaddr* to, socklen_t to_length, Datagram&& d, Owner* owner) {
  Item item{fd, {}, to != nullptr ? to_length : 0, std::move(d), owner};
  if (to != nullptr) std::memcpy(&item.to, to, to_length);
  items_.push_back(std::move(item));
}

void UdpOutbox::add_view(int fd, const sockaddr* to, socklen_t to_length, const char* data,
                         size_t size, Owner* owner) {
  Item item{fd, {}, to != nullptr ? to_length : 0, {}, owner, data, size};
  if (to != nullptr) std::memcpy(&item.to, to, to_length);
  items_.push_back(std::move(item));
}

void UdpOutbox::forget(const Owner* owner) {
  for (auto& item : items_) {
    if (item.owner == owner) item.owner = nullptr;
  }
}

void UdpOutbox::flush() {
  size_t begin = 0;
  while (begin < items_.size()) {
    size_t end = begin + 1;
    while (end < items_.size() && items_[end].fd == items_[begin].fd) ++end;
    send_run(begin, end);
    begin = end;
  }
  items_.clear();
}

void UdpOutbox::send_run(size_t begin, size_t end) {
  constexpr size_t kMaxRun = 64;
  while (begin < end) {
    size_t count = std::min(end - begin, kMaxRun);
    messages_.assign(count, mmsghdr{});
    iov_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      Item& item = items_[begin + i];
      if (item.view != nullptr) {
        iov_[i] = {const_cast<char*>(item.view), item.view_size};
      } else {
        iov_[i] = {item.datagram.bytes.data(), item.datagram.size()};
      }
      msghdr& h = messages_[i].msg_hdr;
      h.msg_iov = &iov_[i];
      h.msg_iovlen = 1;
      h.msg_name = item.to_length > 0 ? &item.to : nullptr;
      h.msg_namelen = item.to_length;
    }
    int sent = sendmmsg(items_[begin].fd, messages_.data(), static_cast<unsigned>(count), 0);
    if (sent < 0) {
      // The first datagram was refused (full buffer, ICMP unreachable
      // reported back, too large): it is dropped, the rest are tried again.
      int error = -errno;
      if (items_[begin].owner != nullptr) items_[begin].owner->send_failed(error);
      sent = 1;
    }
    begin += static_cast<size_t>(sent);
  }
}

}  // namespace jinx
