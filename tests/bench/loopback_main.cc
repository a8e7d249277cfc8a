// jinx-loopback — loopback traffic for demos and benchmarks.
//
//   jinx-loopback echo --port P [--host 127.0.0.1]
//   jinx-loopback sink --port P [--host 127.0.0.1]
//   jinx-loopback ping (--to HOST:PORT | --to-env VAR) [--interval 250ms]
//                      [--count N] [--size 64] [--timeout 10s]
//
// The servers print their bound port alone on the first stdout line (so a
// script can start them with --port 0 and read the port), then serve until
// killed. `ping` connects once and every interval sends SIZE bytes, reads
// the echo and prints `rtt 12.34 ms`; a failure prints `error: ...` and the
// next interval connects again, which is what a chaos demo wants to show.
// N counts intervals, failed ones included, so `--count` always bounds the
// run. SIGINT/SIGTERM end a ping with status 0.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "net.h"

namespace {

using bench::Endpoint;

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) {
  g_stop = 1;
}

using Options = std::map<std::string, std::string>;

// Parses "--key value" pairs; false on a stray argument.
bool parse_options(int argc, char** argv, Options* out) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "jinx-loopback: unexpected argument '%s'\n", argv[i]);
      return false;
    }
    (*out)[a.substr(2)] = argv[++i];
  }
  return true;
}

int serve(bench::ServeMode mode, const Options& opt) {
  auto host = opt.count("host") ? opt.at("host") : std::string("127.0.0.1");
  if (!opt.count("port")) {
    std::fprintf(stderr, "jinx-loopback: --port is required (0 = any free port)\n");
    return 2;
  }
  std::string err;
  uint16_t port = 0;
  int fd = bench::listen_tcp(host, static_cast<uint16_t>(std::atoi(opt.at("port").c_str())), &port,
                             &err);
  if (fd < 0) {
    std::fprintf(stderr, "jinx-loopback: %s\n", err.c_str());
    return 1;
  }
  bench::EpollServer server;
  server.listen_on(fd, mode);
  std::printf("%u\n", server.port());
  std::fflush(stdout);
  server.serve();  // until killed
  return 0;
}

// Waits up to timeout_s for fd to become readable; false on timeout/signal.
bool wait_readable(int fd, double timeout_s) {
  double deadline = bench::now_s() + timeout_s;
  pollfd p{fd, POLLIN, 0};
  while (!g_stop) {
    int left = static_cast<int>((deadline - bench::now_s()) * 1000);
    if (left <= 0) return false;
    int n = poll(&p, 1, left);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
  return false;
}

// Sleeps until `when` or a stop signal.
void sleep_until(double when) {
  while (!g_stop) {
    double left = when - bench::now_s();
    if (left <= 0) return;
    poll(nullptr, 0, static_cast<int>(left * 1000) + 1);
  }
}

// One round trip on fd. Returns "" or the error text.
std::string round_trip(int fd, const std::vector<char>& out, double timeout_s, double* rtt_ms,
                       size_t* differing) {
  double t0 = bench::now_s();
  int err = 0;
  if (!bench::write_all(fd, out.data(), out.size(), &err))
    return std::string("send: ") + std::strerror(err);
  std::vector<char> in(out.size());
  size_t got = 0;
  while (got < in.size()) {
    if (!wait_readable(fd, timeout_s - (bench::now_s() - t0))) {
      char msg[64];
      std::snprintf(msg, sizeof msg, "no echo within %g ms", timeout_s * 1000);
      return g_stop ? "interrupted" : msg;
    }
    ssize_t r = recv(fd, in.data() + got, in.size() - got, 0);
    if (r == 0) return "connection closed by peer";
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::string("recv: ") + std::strerror(errno);
    }
    got += static_cast<size_t>(r);
  }
  *rtt_ms = (bench::now_s() - t0) * 1000;
  *differing = 0;
  for (size_t i = 0; i < in.size(); ++i) *differing += in[i] != out[i];
  return "";
}

int ping(const Options& opt) {
  std::string target;
  if (opt.count("to")) {
    target = opt.at("to");
  } else if (opt.count("to-env")) {
    const char* v = std::getenv(opt.at("to-env").c_str());
    if (v == nullptr || *v == '\0') {
      std::fprintf(stderr, "jinx-loopback: environment variable %s is not set\n",
                   opt.at("to-env").c_str());
      return 2;
    }
    target = v;
  } else {
    std::fprintf(stderr, "jinx-loopback: ping needs --to HOST:PORT or --to-env VAR\n");
    return 2;
  }
  double interval = 0.25, timeout = 10;
  if ((opt.count("interval") && !bench::parse_duration(opt.at("interval"), &interval)) ||
      (opt.count("timeout") && !bench::parse_duration(opt.at("timeout"), &timeout))) {
    std::fprintf(stderr, "jinx-loopback: bad duration (use e.g. 250ms, 1s)\n");
    return 2;
  }
  long count = opt.count("count") ? std::atol(opt.at("count").c_str()) : -1;  // -1: forever
  long size = opt.count("size") ? std::atol(opt.at("size").c_str()) : 64;
  if (size < 1 || size > (1 << 24)) {
    std::fprintf(stderr, "jinx-loopback: --size must be 1..16777216\n");
    return 2;
  }
  std::vector<char> payload(static_cast<size_t>(size));
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('A' + i % 26);

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: poll() returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  int fd = -1;
  double start = bench::now_s();
  for (long tick = 0; (count < 0 || tick < count) && !g_stop; ++tick) {
    sleep_until(start + static_cast<double>(tick) * interval);
    if (g_stop) break;
    if (fd < 0) {
      Endpoint ep;
      std::string err;
      int e = 0;
      if (!bench::resolve(target, &ep, &err)) {
        std::printf("error: %s\n", err.c_str());
      } else if ((fd = bench::connect_tcp(ep, timeout, timeout, &e)) < 0) {
        std::printf("error: connect %s: %s\n", target.c_str(), std::strerror(e));
      } else {
        bench::set_nodelay(fd);
      }
      if (fd < 0) {
        std::fflush(stdout);
        continue;
      }
    }
    double rtt = 0;
    size_t differing = 0;
    std::string err = round_trip(fd, payload, timeout, &rtt, &differing);
    if (g_stop) break;
    if (!err.empty()) {
      std::printf("error: %s\n", err.c_str());
      close(fd);
      fd = -1;
    } else if (differing > 0) {
      std::printf("rtt %.2f ms (%zu of %ld bytes differ)\n", rtt, differing, size);
    } else {
      std::printf("rtt %.2f ms\n", rtt);
    }
    std::fflush(stdout);
  }
  if (fd >= 0) close(fd);
  return 0;
}

void usage(FILE* to) {
  std::fprintf(to,
               "usage: jinx-loopback echo --port P [--host 127.0.0.1]\n"
               "       jinx-loopback sink --port P [--host 127.0.0.1]\n"
               "       jinx-loopback ping (--to HOST:PORT | --to-env VAR) [--interval 250ms]\n"
               "                          [--count N] [--size 64] [--timeout 10s]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  Options opt;
  if (!parse_options(argc - 2, argv + 2, &opt)) return 2;
  if (cmd == "echo") return serve(bench::ServeMode::echo, opt);
  if (cmd == "sink") return serve(bench::ServeMode::sink, opt);
  if (cmd == "ping") return ping(opt);
  std::fprintf(stderr, "jinx-loopback: unknown command '%s'\n", cmd.c_str());
  usage(stderr);
  return 2;
}
