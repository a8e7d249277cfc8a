#include "udp_socket.h"

#include <fcntl.h>
#include <netinet/udp.h>
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

size_t UdpOutbox::bundle_end(size_t begin, size_t end) const {
  const Item& first = items_[begin];
  const size_t segment = first.size();
  if (!gso_ || segment == 0) return begin + 1;
  size_t bytes = segment;
  size_t i = begin + 1;
  while (i < end && i - begin < kMaxSegments) {
    const Item& next = items_[i];
    if (next.size() > segment || next.size() == 0 || bytes + next.size() > kMaxBundleBytes ||
        next.to_length != first.to_length ||
        std::memcmp(&next.to, &first.to, first.to_length) != 0) {
      break;
    }
    bytes += next.size();
    ++i;
    if (next.size() < segment) break;  // only a bundle's last datagram may be shorter
  }
  return i;
}

void UdpOutbox::send_run(size_t begin, size_t end) {
  while (begin < end) {
    // Messages of up to kMaxMessages bundles, then one sendmmsg for them.
    bundles_.clear();
    iov_.resize(end - begin);
    for (size_t i = begin; i < end && bundles_.size() < kMaxMessages;) {
      size_t last = bundle_end(i, end);
      bundles_.push_back({i, last});
      i = last;
    }
    messages_.assign(bundles_.size(), mmsghdr{});
    controls_.resize(bundles_.size());
    for (size_t m = 0; m < bundles_.size(); ++m) fill_message(m, begin);
    int sent =
        sendmmsg(items_[begin].fd, messages_.data(), static_cast<unsigned>(bundles_.size()), 0);
    if (sent < 0) {
      int error = -errno;
      const Bundle& refused = bundles_.front();
      if (refused.end - refused.begin > 1 && gso_unsupported(error)) {
        // No UDP_SEGMENT here (an old kernel, a path MTU below the size):
        // the same datagrams go one per message from now on, none is lost.
        gso_ = false;
        continue;
      }
      // The first message was refused (full buffer, ICMP unreachable
      // reported back, too large): its datagrams are dropped, the rest are
      // tried again.
      for (size_t i = refused.begin; i < refused.end; ++i) {
        if (items_[i].owner != nullptr) items_[i].owner->send_failed(error);
      }
      sent = 1;
    }
    begin = bundles_[static_cast<size_t>(sent) - 1].end;
  }
}

// Message m: its datagrams' bytes, the address, and for a bundle of more than
// one, the segment size that tells the kernel where to split it.
void UdpOutbox::fill_message(size_t m, size_t run_begin) {
  const Bundle& b = bundles_[m];
  for (size_t i = b.begin; i < b.end; ++i) {
    Item& item = items_[i];
    iovec& v = iov_[i - run_begin];
    if (item.view != nullptr) {
      v = {const_cast<char*>(item.view), item.view_size};
    } else {
      v = {item.datagram.bytes.data(), item.datagram.size()};
    }
  }
  Item& first = items_[b.begin];
  msghdr& h = messages_[m].msg_hdr;
  h.msg_iov = &iov_[b.begin - run_begin];
  h.msg_iovlen = b.end - b.begin;
  h.msg_name = first.to_length > 0 ? &first.to : nullptr;
  h.msg_namelen = first.to_length;
  if (b.end - b.begin == 1) return;
  Control& c = controls_[m];
  h.msg_control = c.bytes;
  h.msg_controllen = sizeof c.bytes;
  cmsghdr* cm = CMSG_FIRSTHDR(&h);
  cm->cmsg_level = SOL_UDP;
  cm->cmsg_type = UDP_SEGMENT;
  cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  auto segment = static_cast<uint16_t>(first.size());
  std::memcpy(CMSG_DATA(cm), &segment, sizeof segment);
}

bool UdpOutbox::gso_unsupported(int error) {
  return error == -EINVAL || error == -EIO || error == -ENOPROTOOPT || error == -EOPNOTSUPP;
}

}  // namespace jinx
