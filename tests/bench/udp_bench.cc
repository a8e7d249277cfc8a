// udp_bench.cc — see udp_bench.h. One sender thread blasts datagrams with
// sendmmsg(2) at the relay (or straight at the upstream); the upstream
// counts what arrives with recvmmsg(2) on its own thread. The figure is
// datagrams received per second over the window, after a warm-up: what the
// relay delivered, its drops (full socket buffers) left out.
#include "udp_bench.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "net.h"
#include "proc_stat.h"
#include "process.h"
#include "report.h"
#include "udp.h"  // the harness's UDP sockets

namespace bench {
namespace {

using jinx_test::bound_udp;
using jinx_test::Socket;

// Counts every datagram that reaches it, until stopped.
class UdpSink {
 public:
  UdpSink() : sock_(bound_udp(0, 8 << 20)), port_(jinx_test::local_port_of(sock_.fd())) {
    thread_ = std::thread([this] { run(); });
  }
  ~UdpSink() {
    stop_ = true;
    thread_.join();
  }
  UdpSink(const UdpSink&) = delete;
  UdpSink& operator=(const UdpSink&) = delete;
  uint16_t port() const { return port_; }
  uint64_t count() const { return count_.load(); }

 private:
  void run() {
    constexpr unsigned kBatch = 64;
    std::vector<char> buf(kBatch * 2048);
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iov(kBatch);
    while (!stop_) {
      pollfd p{sock_.fd(), POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {buf.data() + i * 2048, 2048};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(sock_.fd(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n > 0) count_ += static_cast<uint64_t>(n);
    }
  }
  Socket sock_;
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  std::thread thread_;
};

// Datagrams of `size` to 127.0.0.1:port as fast as sendmmsg goes, for
// warm-up + window seconds; the sink's rate over the window.
double blast(uint16_t port, const UdpSink& sink, size_t size, double warmup, double window) {
  Socket s = bound_udp(0);
  sockaddr_in to = jinx_test::loopback_udp(port);
  connect(s.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to);
  constexpr unsigned kBatch = 64;
  std::vector<char> payload(size, 'x');
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch, iovec{payload.data(), size});
  for (unsigned i = 0; i < kBatch; ++i) {
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  double window_start = now_s() + warmup;
  uint64_t first = 0;
  bool counting = false;
  while (now_s() < window_start + window) {
    if (!counting && now_s() >= window_start) {
      first = sink.count();
      counting = true;
      window_start = now_s();
    }
    if (sendmmsg(s.fd(), msgs.data(), kBatch, 0) < 0) std::this_thread::yield();
  }
  return static_cast<double>(sink.count() - first) / (now_s() - window_start);
}

// jinx's resident memory with no idle flow (the blast's one only), then
// with each of `counts` idle flows: new client sockets, one datagram each,
// until the sink has seen them all.
struct FlowMemory {
  long base_kib = 0;
  std::vector<std::pair<size_t, long>> kib_at;  // (idle flows, VmRSS KiB)
};

FlowMemory idle_flow_memory(pid_t pid, uint16_t port, const UdpSink& sink,
                            const std::vector<size_t>& counts) {
  FlowMemory m;
  m.base_kib = jinx_test::status_kib(pid, "VmRSS");
  std::vector<Socket> clients;
  sockaddr_in to = jinx_test::loopback_udp(port);
  for (size_t n : counts) {
    uint64_t first = sink.count();
    size_t added = 0;
    while (clients.size() < n) {
      Socket c(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      if (!c.valid()) break;
      sendto(c.fd(), "hi", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      clients.push_back(std::move(c));
      ++added;
    }
    double until = now_s() + 10;
    while (sink.count() - first < added && now_s() < until) sleep_s(0.02);
    sleep_s(0.3);
    m.kib_at.emplace_back(clients.size(), jinx_test::status_kib(pid, "VmRSS"));
  }
  return m;
}

struct UdpRelay {
  std::string label;
  std::vector<std::string> argv;  // empty: direct
  uint16_t port;
};

std::vector<UdpRelay> udp_relays(const std::string& jinx_bin, const Workdir& dir,
                                 uint16_t sink_port) {
  std::string up = "127.0.0.1:" + std::to_string(sink_port);
  uint16_t jinx_port = pick_free_port(), socat_port = pick_free_port();
  std::vector<UdpRelay> relays = {{"direct", {}, sink_port}};
  std::string scenario = dir.path + "/udp.toml";
  FILE* f = std::fopen(scenario.c_str(), "w");
  if (f == nullptr) return {};
  std::fprintf(f,
               "[[proxy]]\nname = \"bench\"\nprotocol = \"udp\"\nlisten = \"127.0.0.1:%u\"\n"
               "upstream = \"%s\"\nmax_flows = 20000\n",
               static_cast<unsigned>(jinx_port), up.c_str());
  std::fclose(f);
  relays.push_back({"jinx", {jinx_bin, "run", "--quiet", "--no-progress", scenario}, jinx_port});
  if (!find_executable("socat").empty()) {
    // One process relaying one client address: UDP-LISTEN without fork is
    // socat's fastest UDP mode (fork would start a process per client).
    relays.push_back(
        {"socat",
         {"socat", "UDP-LISTEN:" + std::to_string(socat_port) + ",bind=127.0.0.1,reuseaddr",
          "UDP:" + up},
         socat_port});
  }
  return relays;
}

const char* const kSizes[2] = {"64 B", "1,400 B"};

void print_udp_report(const Results& results, const FlowMemory& memory, int runs,
                      double load_before, double load_after) {
  std::printf(
      "UDP relays on 127.0.0.1, datagrams/s (median of %d run%s; load average %.2f before, "
      "%.2f after)\n\n| relay | 64 B datagrams/s | 1,400 B datagrams/s |\n|---|---|---|\n",
      runs, runs == 1 ? "" : "s", load_before, load_after);
  for (const char* relay : {"direct", "jinx", "socat"}) {
    if (!results.has(relay, kSizes[0])) continue;
    std::printf("| %s | %s | %s |\n", relay, results.cell(relay, kSizes[0], 0).c_str(),
                results.cell(relay, kSizes[1], 0).c_str());
  }
  if (results.has("jinx/socat", kSizes[0])) {
    std::printf(
        "\njinx / socat (median of the runs' ratios): %.2fx at 64 B, %.2fx at 1,400 B "
        "(target: at least 2x)\n",
        results.get("jinx/socat", kSizes[0]), results.get("jinx/socat", kSizes[1]));
  }
  std::printf(
      "\njinx resident memory (VmRSS; socket buffers are the kernel's): %.1f MiB with "
      "one flow",
      static_cast<double>(memory.base_kib) / 1024);
  for (const auto& [flows, kib] : memory.kib_at) {
    std::printf(", %.1f MiB with %s idle flows (%.2f KiB per flow)",
                static_cast<double>(kib) / 1024, fmt_num(static_cast<double>(flows), 0).c_str(),
                static_cast<double>(kib - memory.base_kib) / static_cast<double>(flows));
  }
  std::printf("\n");
}

}  // namespace

int run_udp_bench(const std::string& jinx_bin, const Workdir& dir, bool quick, int runs) {
  const double load_before = load_average();
  const double warmup = quick ? 0.2 : 0.3, window = quick ? 0.5 : 2.0;
  UdpSink sink;
  std::vector<UdpRelay> relays = udp_relays(jinx_bin, dir, sink.port());
  if (relays.empty()) return 1;
  Results results;
  FlowMemory memory;
  for (int run = 1; run <= runs; ++run) {
    std::vector<UdpRelay> order = relays;
    if (run % 2 == 0) std::reverse(order.begin(), order.end());  // no relay always first
    std::map<std::string, double> rate;
    for (const auto& relay : order) {
      // A fresh relay for each size: socat's UDP-LISTEN serves only the
      // first client address it hears from, and each blast has a socket of
      // its own.
      for (const char* size : kSizes) {
        std::fprintf(stderr, "run %d/%d: %s, %s datagrams\n", run, runs, relay.label.c_str(), size);
        Child child;
        if (!relay.argv.empty()) {
          std::string err;
          if (!child.spawn(relay.argv, dir.path + "/" + relay.label + ".log", false, &err)) {
            std::fprintf(stderr, "jinx_bench udp: %s: %s\n", relay.label.c_str(), err.c_str());
            return 1;
          }
          sleep_s(0.5);  // a UDP listener cannot be probed without becoming a flow
        }
        double r = blast(relay.port, sink, size == kSizes[0] ? 64 : 1400, warmup, window);
        results.add(relay.label, size, r);
        rate[relay.label + size] = r;
        if (relay.label == "jinx" && size == kSizes[1] && run == 1) {
          std::fprintf(stderr, "  jinx: idle flows\n");
          memory = idle_flow_memory(
              child.pid(), relay.port, sink,
              quick ? std::vector<size_t>{1000} : std::vector<size_t>{1000, 10000});
        }
        child.stop(2.0);
      }
    }
    for (const char* size : kSizes) {
      if (rate.count(std::string("socat") + size) == 0) continue;
      results.add("jinx/socat", size,
                  rate[std::string("jinx") + size] / rate[std::string("socat") + size]);
    }
  }
  print_udp_report(results, memory, runs, load_before, load_average());
  return 0;
}

}  // namespace bench
