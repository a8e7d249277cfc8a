// UdpOutbox on real loopback sockets: datagrams of one size to one address go
// out as UDP_SEGMENT bundles, and the receiver must still see every datagram
// whole, with its own boundaries, in the order they were added.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "udp_socket.h"

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_in bound_address(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return a;
}

int bound_loopback_udp() {
  int fd = jinx::open_udp_socket(AF_INET);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  jinx::grow_socket_buffers(fd, 4 << 20);
  return fd;
}

// Every datagram waiting on fd, each as a string, until none comes for 200 ms.
std::vector<std::string> receive_all(int fd) {
  std::vector<std::string> got;
  std::vector<char> buffer(65536);
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 200) == 1) {
    ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0) break;
    got.emplace_back(buffer.data(), static_cast<size_t>(n));
  }
  return got;
}

// Datagram i: `size` bytes that say which datagram they belong to.
std::string datagram(size_t i, size_t size) {
  std::string d(size, static_cast<char>('a' + i % 26));
  std::string tag = std::to_string(i) + ":";
  d.replace(0, std::min(tag.size(), size), tag.substr(0, size));
  return d;
}

struct NoOwner final : jinx::UdpOutbox::Owner {
  int failed = 0;
  void send_failed(int) override { ++failed; }
};

}  // namespace

TEST_CASE("udp outbox: bundles of equal sizes arrive as the datagrams they were, in order") {
  Fd receiver(bound_loopback_udp());
  Fd sender(bound_loopback_udp());
  sockaddr_in to = bound_address(receiver.fd);
  REQUIRE(connect(sender.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);

  // Runs of one size, a shorter last one, lone sizes, a run longer than the
  // 64 segments of a bundle, and sizes whose bundle would pass 65,000 bytes.
  std::vector<size_t> sizes;
  for (size_t i = 0; i < 10; ++i) sizes.push_back(1400);
  sizes.push_back(700);
  sizes.push_back(1400);
  sizes.push_back(3000);
  sizes.push_back(64);
  for (size_t i = 0; i < 150; ++i) sizes.push_back(64);
  for (size_t i = 0; i < 40; ++i) sizes.push_back(9000);
  sizes.push_back(1);

  jinx::UdpOutbox outbox;
  NoOwner owner;
  std::vector<std::string> sent;
  for (size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(datagram(i, sizes[i]));
    if (i % 2 == 0) {
      outbox.add_view(sender.fd, nullptr, 0, sent.back().data(), sent.back().size(), &owner);
    } else {
      jinx::Datagram d;
      d.bytes.assign(sent.back().begin(), sent.back().end());
      outbox.add(sender.fd, nullptr, 0, std::move(d), &owner);
    }
  }
  outbox.flush();
  CHECK(owner.failed == 0);
  CHECK(outbox.empty());
  CHECK(outbox.bundling());  // loopback takes UDP_SEGMENT: the bundles were used
  std::vector<std::string> got = receive_all(receiver.fd);
  REQUIRE(got.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    INFO("datagram " << i);
    CHECK(got[i] == sent[i]);
  }
}

TEST_CASE("udp outbox: on an unconnected socket, a bundle never mixes two addresses") {
  Fd first(bound_loopback_udp());
  Fd second(bound_loopback_udp());
  Fd sender(bound_loopback_udp());
  sockaddr_in a = bound_address(first.fd);
  sockaddr_in b = bound_address(second.fd);

  jinx::UdpOutbox outbox;
  NoOwner owner;
  std::vector<std::string> to_first, to_second;
  for (size_t i = 0; i < 40; ++i) {
    bool to_a = (i / 3) % 2 == 0;  // runs of three to each address
    std::string d = datagram(i, 512);
    (to_a ? to_first : to_second).push_back(d);
    jinx::Datagram copy;
    copy.bytes.assign(d.begin(), d.end());
    const sockaddr_in& to = to_a ? a : b;
    outbox.add(sender.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to, std::move(copy),
               &owner);
  }
  outbox.flush();
  CHECK(owner.failed == 0);
  CHECK(receive_all(first.fd) == to_first);
  CHECK(receive_all(second.fd) == to_second);
}

TEST_CASE("udp outbox: a refused bundle is counted datagram by datagram") {
  // A connected socket whose peer is gone: the kernel's ICMP port
  // unreachable comes back as ECONNREFUSED on a later send.
  Fd sender(bound_loopback_udp());
  sockaddr_in to{};
  {
    Fd gone(bound_loopback_udp());
    to = bound_address(gone.fd);
  }
  REQUIRE(connect(sender.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  REQUIRE(send(sender.fd, "x", 1, 0) == 1);  // draws the ICMP error
  pollfd p{sender.fd, POLLERR, 0};
  REQUIRE(poll(&p, 1, 1000) == 1);

  jinx::UdpOutbox outbox;
  NoOwner owner;
  std::vector<std::string> sent;
  for (size_t i = 0; i < 5; ++i) sent.push_back(datagram(i, 100));
  for (const auto& d : sent) outbox.add_view(sender.fd, nullptr, 0, d.data(), d.size(), &owner);
  outbox.flush();
  // The first bundle (all five) took the error; nothing else is lost or
  // counted twice.
  CHECK(owner.failed == 5);
}
