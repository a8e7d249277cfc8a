// api_bench.cc — see api_bench.h. One jinx session serves both the relay
// under measure and its API; the API client is a thread of the bench with a
// keep-alive connection, as a test suite's Toxiproxy client would have.
#include "api_bench.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "clients.h"
#include "net.h"
#include "report.h"

namespace bench {
namespace {

// A keep-alive HTTP/1.1 connection to the API; one request at a time.
class ApiClient {
 public:
  explicit ApiClient(const Endpoint& api) {
    int err = 0;
    fd_ = connect_tcp(api, 2.0, 5.0, &err);
    if (fd_ >= 0) set_nodelay(fd_);
  }
  ~ApiClient() {
    if (fd_ >= 0) close(fd_);
  }
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;
  bool ok() const { return fd_ >= 0; }

  // GET path; true on a 200 read to the end of its body.
  bool get(const std::string& path) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n";
    int err = 0;
    if (fd_ < 0 || !write_all(fd_, req.data(), req.size(), &err)) return false;
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) return false;
    }
    size_t length = 0;
    if (size_t at = pending_.find("Content-Length: "); at != std::string::npos && at < end) {
      length = std::stoul(pending_.substr(at + 16));
    }
    while (pending_.size() < end + 4 + length) {
      if (!read_more()) return false;
    }
    bool ok = pending_.compare(0, 12, "HTTP/1.1 200") == 0;
    pending_.erase(0, end + 4 + length);
    return ok;
  }

 private:
  bool read_more() {
    char buf[16384];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string pending_;
};

// Requests GET /proxies `per_second` times a second, on a fixed schedule,
// until stopped; counts the requests and the answers.
class ApiPacer {
 public:
  ApiPacer(const Endpoint& api, double per_second) {
    thread_ = std::thread([this, api, per_second] {
      ApiClient client(api);
      double next = now_s();
      while (!stop_) {
        ++asked_;
        if (client.get("/proxies")) ++answered_;
        next += 1.0 / per_second;
        double wait = next - now_s();
        if (wait > 0) sleep_s(wait);
      }
    });
  }
  ~ApiPacer() { stop(); }
  ApiPacer(const ApiPacer&) = delete;
  ApiPacer& operator=(const ApiPacer&) = delete;
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t asked() const { return asked_; }
  uint64_t answered() const { return answered_; }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> asked_{0}, answered_{0};
};

// The API's address from jinx's api_listen event.
bool api_address(JinxRelay& jinx, Endpoint* api, std::string* err) {
  if (jinx.wait_event("\"api_listen\"", 5.0) < 0) {
    *err = "no api_listen event";
    return false;
  }
  for (const auto& e : jinx.events()) {
    size_t at = e.line.find("\"address\":\"");
    if (e.line.find("\"api_listen\"") == std::string::npos || at == std::string::npos) continue;
    at += 11;
    return resolve(e.line.substr(at, e.line.find('"', at) - at), api, err);
  }
  *err = "api_listen without an address";
  return false;
}

struct Figures {
  std::vector<double> plain, with_api, ratio;  // MB/s, MB/s, with/plain
  uint64_t answered = 0, asked = 0;            // API requests during the runs
  double requests_per_s = 0, p50_us = 0, p99_us = 0;
};

// Requests/s on one keep-alive connection for `seconds`, after a warm-up.
bool keepalive_rate(const Endpoint& api, double seconds, Figures* f) {
  ApiClient client(api);
  for (int i = 0; i < 100; ++i) {
    if (!client.get("/proxies")) return false;
  }
  std::vector<double> took;
  double start = now_s(), end = start + seconds;
  for (double t = start; t < end;) {
    if (!client.get("/proxies")) return false;
    double done = now_s();
    took.push_back((done - t) * 1e6);
    t = done;
  }
  f->requests_per_s = static_cast<double>(took.size()) / (now_s() - start);
  f->p50_us = percentile(took, 50);
  f->p99_us = percentile(took, 99);
  return true;
}

void print_api_report(const Figures& f, int runs, double load_before, double load_after) {
  std::printf(
      "Control API (jinx run with api = ...; load average %.2f before, %.2f after)\n\n"
      "| relay throughput, 1 stream download | MB/s (median of %d) |\n|---|---|\n"
      "| without API requests | %s |\n| with 100 API requests/s | %s |\n\n",
      load_before, load_after, runs, fmt_num(median(f.plain), 0).c_str(),
      fmt_num(median(f.with_api), 0).c_str());
  std::printf(
      "with / without (median of the runs' ratios): %.3fx (target: at least 0.95x); %llu of "
      "%llu API requests answered during the runs\n",
      median(f.ratio), static_cast<unsigned long long>(f.answered),
      static_cast<unsigned long long>(f.asked));
  std::printf(
      "API on one keep-alive connection, GET /proxies one at a time: %s requests/s "
      "(p50 %.0f us, p99 %.0f us)\n",
      fmt_num(f.requests_per_s, 0).c_str(), f.p50_us, f.p99_us);
}

// One bulk figure (1 stream, download) in MB/s, with 100 API requests/s
// arriving when `api` is given.
bool bulk_window(JinxRelay& jinx, EpollServer& upstream, const Endpoint* api, double warmup,
                 double window, double* mb_per_s, Figures* f) {
  std::unique_ptr<ApiPacer> pacer;
  if (api != nullptr) pacer = std::make_unique<ApiPacer>(*api, 100);
  BulkResult r = run_bulk(loopback(jinx.port()), upstream, 1, false, warmup, window, {});
  if (pacer) {
    pacer->stop();
    f->asked += pacer->asked();
    f->answered += pacer->answered();
  }
  if (!r.error.empty()) {
    std::fprintf(stderr, "jinx_bench api: bulk: %s\n", r.error.c_str());
    return false;
  }
  *mb_per_s = r.mb_per_s;
  return true;
}

}  // namespace

int run_api_bench(const std::string& jinx_bin, const Workdir& dir, bool quick, int runs) {
  const double load_before = load_average();
  const double warmup = quick ? 0.2 : 0.3, window = quick ? 0.5 : 2.0;
  EpollServer upstream(ServeMode::select);
  auto jinx = make_jinx(jinx_bin, dir, "jinx+api", "", "api = \"127.0.0.1:0\"\n");
  std::string err;
  Endpoint api;
  if (!jinx->start(upstream.port(), &err) || !api_address(*jinx, &api, &err)) {
    std::fprintf(stderr, "jinx_bench api: %s\n", err.c_str());
    return 1;
  }
  Figures f;
  for (int run = 1; run <= runs; ++run) {
    // Four windows in mirrored order (without, with, with, without; the
    // other way round every other run): a drift of the machine's load
    // over the run weighs on both sides alike.
    double mb[2] = {0, 0};  // [0] without, [1] with API requests: sums
    for (int k = 0; k < 4; ++k) {
      bool with_api = (k == 1 || k == 2) == (run % 2 == 1);
      std::fprintf(stderr, "run %d/%d: bulk %s API requests\n", run, runs,
                   with_api ? "with" : "without");
      double rate = 0;
      if (!bulk_window(*jinx, upstream, with_api ? &api : nullptr, warmup, window, &rate, &f)) {
        return 1;
      }
      mb[with_api ? 1 : 0] += rate / 2;
    }
    f.plain.push_back(mb[0]);
    f.with_api.push_back(mb[1]);
    f.ratio.push_back(mb[1] / mb[0]);
    std::fprintf(stderr, "  %.0f MB/s without, %.0f MB/s with: %.3fx\n", mb[0], mb[1],
                 mb[1] / mb[0]);
  }
  std::fprintf(stderr, "keep-alive requests/s\n");
  if (!keepalive_rate(api, quick ? 0.5 : 2.0, &f)) {
    std::fprintf(stderr, "jinx_bench api: a request on the keep-alive connection failed\n");
    return 1;
  }
  jinx->stop();
  upstream.stop();
  print_api_report(f, runs, load_before, load_average());
  return 0;
}

}  // namespace bench
