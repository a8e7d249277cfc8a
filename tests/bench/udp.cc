// udp.cc — see udp.h. One sender thread blasts datagrams with sendmmsg(2) at
// the relay (or straight at the upstream); the upstream counts what arrives
// with recvmmsg(2) on its own thread. The figure is datagrams received per
// second over the window, after a warm-up: what the relay delivered, its
// drops (full socket buffers) left out.
#include "udp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "net.h"
#include "proc_stat.h"
#include "process.h"
#include "report.h"

namespace bench {
namespace {

sockaddr_in loopback_addr(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  return sa;
}

int udp_socket_on(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int size = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  sockaddr_in sa = loopback_addr(port);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  return fd;
}

uint16_t port_of_fd(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

// Counts every datagram that reaches it, until stopped.
class UdpSink {
 public:
  UdpSink() : fd_(udp_socket_on(0)), port_(port_of_fd(fd_)) {
    thread_ = std::thread([this] { run(); });
  }
  ~UdpSink() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  uint64_t count() const { return count_.load(); }

 private:
  void run() {
    constexpr unsigned kBatch = 64;
    std::vector<char> buf(kBatch * 2048);
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iov(kBatch);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {buf.data() + i * 2048, 2048};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n > 0) count_ += static_cast<uint64_t>(n);
    }
  }
  int fd_;
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  std::thread thread_;
};

// Datagrams of `size` to 127.0.0.1:port as fast as sendmmsg goes, for
// warm-up + window seconds; the sink's rate over the window.
double blast(uint16_t port, const UdpSink& sink, size_t size, double warmup, double window) {
  int fd = udp_socket_on(0);
  sockaddr_in to = loopback_addr(port);
  connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
  constexpr unsigned kBatch = 64;
  std::vector<char> payload(size, 'x');
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch, iovec{payload.data(), size});
  for (unsigned i = 0; i < kBatch; ++i) {
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  double start = now_s();
  double window_start = start + warmup;
  uint64_t first = 0;
  bool counting = false;
  while (now_s() < window_start + window) {
    if (!counting && now_s() >= window_start) {
      first = sink.count();
      counting = true;
      window_start = now_s();
    }
    if (sendmmsg(fd, msgs.data(), kBatch, 0) < 0) std::this_thread::yield();
  }
  double rate = static_cast<double>(sink.count() - first) / (now_s() - window_start);
  ::close(fd);
  return rate;
}

struct UdpRelay {
  std::string label;
  std::vector<std::string> argv;  // empty: direct
};

// Growth of jinx's VmRSS per flow when `n` clients each send one datagram.
double kib_per_flow(pid_t pid, uint16_t port, const UdpSink& sink, size_t n) {
  long before = jinx_test::status_kib(pid, "VmRSS");
  uint64_t first = sink.count();
  std::vector<int> clients;
  for (size_t i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockaddr_in to = loopback_addr(port);
    sendto(fd, "hi", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    clients.push_back(fd);
  }
  double until = now_s() + 10;
  while (sink.count() - first < clients.size() && now_s() < until) sleep_s(0.02);
  sleep_s(0.3);
  long after = jinx_test::status_kib(pid, "VmRSS");
  for (int fd : clients) ::close(fd);
  return clients.empty()
             ? 0
             : static_cast<double>(after - before) / static_cast<double>(clients.size());
}

}  // namespace

int run_udp_bench(const std::string& jinx_bin, const Workdir& dir, bool quick) {
  double warmup = quick ? 0.2 : 0.3, window = quick ? 0.5 : 2.0;
  UdpSink sink;
  std::string up = "127.0.0.1:" + std::to_string(sink.port());
  std::vector<UdpRelay> relays = {{"direct", {}}};
  uint16_t jinx_port = pick_free_port(), socat_port = pick_free_port();
  std::string scenario = dir.path + "/udp.toml";
  FILE* f = std::fopen(scenario.c_str(), "w");
  if (f == nullptr) return 1;
  std::fprintf(f,
               "[[proxy]]\nname = \"bench\"\nprotocol = \"udp\"\nlisten = \"127.0.0.1:%u\"\n"
               "upstream = \"%s\"\nmax_flows = 20000\n",
               static_cast<unsigned>(jinx_port), up.c_str());
  std::fclose(f);
  relays.push_back({"jinx", {jinx_bin, "run", "--quiet", "--no-progress", scenario}});
  if (!find_executable("socat").empty()) {
    relays.push_back(
        {"socat",
         {"socat", "UDP-LISTEN:" + std::to_string(socat_port) + ",bind=127.0.0.1,reuseaddr",
          "UDP:" + up}});
  }
  std::printf("| relay | 64 B datagrams/s | 1,400 B datagrams/s |\n|---|---|---|\n");
  double jinx_64 = 0, socat_64 = 0, jinx_1400 = 0, socat_1400 = 0;
  std::vector<std::string> notes;
  for (const auto& relay : relays) {
    // A fresh relay for each size: socat's UDP-LISTEN serves only the first
    // client address it hears from, and each blast has a socket of its own.
    double rates[2] = {0, 0};
    for (int s = 0; s < 2; ++s) {
      Child child;
      uint16_t port = sink.port();
      if (!relay.argv.empty()) {
        std::string err;
        if (!child.spawn(relay.argv, dir.path + "/" + relay.label + ".log", false, &err)) {
          std::fprintf(stderr, "jinx_bench udp: %s: %s\n", relay.label.c_str(), err.c_str());
          return 1;
        }
        sleep_s(0.5);  // a UDP listener cannot be probed without becoming a flow
        port = relay.label == "jinx" ? jinx_port : socat_port;
      }
      rates[s] = blast(port, sink, s == 0 ? 64 : 1400, warmup, window);
      if (relay.label == "jinx" && s == 1) {
        for (size_t n : {size_t{1000}, quick ? size_t{1000} : size_t{10000}}) {
          std::fprintf(stderr, "  jinx: %zu idle flows\n", n);
          double kib = kib_per_flow(child.pid(), jinx_port, sink, n);
          notes.push_back("jinx: " + fmt_num(kib, 2) + " KiB per idle flow at " +
                          std::to_string(n) + " flows");
        }
      }
      child.stop(2.0);
    }
    std::printf("| %s | %s | %s |\n", relay.label.c_str(), fmt_num(rates[0], 0).c_str(),
                fmt_num(rates[1], 0).c_str());
    if (relay.label == "jinx") jinx_64 = rates[0], jinx_1400 = rates[1];
    if (relay.label == "socat") socat_64 = rates[0], socat_1400 = rates[1];
  }
  std::printf("\n");
  for (const auto& note : notes) std::printf("%s\n", note.c_str());
  if (socat_64 > 0) {
    std::printf("\njinx / socat: %.2fx at 64 B, %.2fx at 1,400 B (target: at least 2x)\n",
                jinx_64 / socat_64, jinx_1400 / socat_1400);
  }
  return 0;
}

}  // namespace bench
