// suite.cc — see suite.h.
#include "suite.h"

#include <algorithm>
#include <cstdio>

#include "clients.h"
#include "proc_stat.h"

namespace bench {

using jinx_test::children_of;
using jinx_test::status_kib;
using jinx_test::tree_cpu_seconds;
using jinx_test::tree_memory;

std::vector<BulkConfig> all_bulk_configs() {
  return {{1, true}, {1, false}, {8, true}, {8, false}};
}

std::vector<BulkConfig> toxic_bulk_configs(const std::string& label) {
  if (label.find("latency0ms") == std::string::npos) return {{1, true}, {1, false}};
  return all_bulk_configs();
}

bool toxic_ping(const std::string& label) {
  return label.find("100ms") == std::string::npos;
}

std::string kib_per_conn_key(size_t n) {
  return "kib_conn_" + std::to_string(n);
}

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Memory of the relay in KiB, comparing like with like (see proc_stat.h).
long relay_kib(const Relay& relay) {
  return tree_memory(relay.pid(), relay.forks()).kib;
}

// Waits (up to 3 s) for a forking relay to reap the children of closed
// connections, so their CPU time lands in cutime/cstime before we read it.
void wait_children_gone(const Relay& relay) {
  if (!relay.forks()) return;
  double until = now_s() + 3;
  while (!children_of(relay.pid()).empty() && now_s() < until) sleep_s(0.02);
}

bool bulk(Relay& relay, EpollServer& upstream, const SuiteOptions& opt,
          const std::vector<BulkConfig>& configs, Results& results, std::string* err) {
  const pid_t pid = relay.pid();
  long peak_kib = 0;
  auto sample = [&] {
    if (pid > 0) peak_kib = std::max(peak_kib, relay_kib(relay));
  };
  double cpu0 = pid > 0 ? tree_cpu_seconds(pid) : 0;
  uint64_t bytes = 0;
  std::fprintf(stderr, "  %-20s", relay.label().c_str());
  for (const auto& cfg : configs) {
    BulkResult r = run_bulk(loopback(relay.port()), upstream, cfg.streams, cfg.upload,
                            opt.bulk_warmup, opt.bulk_window, sample);
    if (!r.error.empty()) {
      *err = cfg.key() + ": " + r.error;
      std::fprintf(stderr, "\n");
      return false;
    }
    bytes += r.total_bytes;
    results.add(relay.label(), cfg.key(), r.mb_per_s);
    std::fprintf(stderr, " %d%s %.0f MB/s", cfg.streams, cfg.upload ? "up" : "down", r.mb_per_s);
  }
  double gib = static_cast<double>(bytes) / (kMiB * 1024);
  results.add(relay.label(), kBulkGib, gib);
  if (pid > 0) {
    wait_children_gone(relay);
    double cpu = tree_cpu_seconds(pid) - cpu0;
    // VmHWM catches peaks between samples; a forking relay has only samples.
    if (!relay.forks()) peak_kib = std::max(peak_kib, status_kib(pid, "VmHWM"));
    results.add(relay.label(), kCpuPerGib, cpu / gib);
    results.add(relay.label(), kPeakRssMib, static_cast<double>(peak_kib) / 1024);
    std::fprintf(stderr, "  cpu %.2f s/GiB, peak %.1f MiB", cpu / gib,
                 static_cast<double>(peak_kib) / 1024);
  }
  std::fprintf(stderr, "\n");
  return true;
}

bool latency(Relay& relay, const SuiteOptions& opt, Results& results, std::string* err) {
  PingResult r = run_pingpong(loopback(relay.port()), 64, opt.ping_seconds, opt.ping_max);
  if (!r.error.empty() || r.rtt_us.size() < 100) {
    *err = r.error.empty() ? "too few round trips" : r.error;
    return false;
  }
  double p50 = percentile(r.rtt_us, 50), p99 = percentile(r.rtt_us, 99);
  results.add(relay.label(), kRttP50, p50);
  results.add(relay.label(), kRttP99, p99);
  std::fprintf(stderr, "  %-20s %zu round trips, p50 %.1f us, p99 %.1f us\n", relay.label().c_str(),
               r.rtt_us.size(), p50, p99);
  return true;
}

bool connrate(Relay& relay, const SuiteOptions& opt, Results& results, std::string* err) {
  std::fprintf(stderr, "  %-20s", relay.label().c_str());
  for (int concurrency : {1, 50}) {
    ChurnResult r = run_churn(loopback(relay.port()), concurrency, opt.churn_seconds);
    // A few failures on a loaded machine are noise; many mean a broken relay.
    if (r.completed == 0 || r.failed > r.completed / 100 + 5) {
      *err = "connection churn x" + std::to_string(concurrency) + ": " + std::to_string(r.failed) +
             " failed, " + std::to_string(r.completed) +
             " completed; first error: " + r.first_error;
      std::fprintf(stderr, "\n");
      return false;
    }
    results.add(relay.label(), concurrency == 1 ? kConnSeq : kConn50, r.per_s);
    std::fprintf(stderr, " x%d %.0f conn/s", concurrency, r.per_s);
  }
  std::fprintf(stderr, "\n");
  return true;
}

bool idle(Relay& relay, EpollServer& upstream, const SuiteOptions& opt, Results& results,
          std::string* err) {
  if (relay.pid() <= 0) return true;  // direct: no relay memory to measure
  sleep_s(0.2);                       // let it finish starting up
  long base = relay_kib(relay);
  results.add(relay.label(), kIdleRssMib, static_cast<double>(base) / 1024);
  std::fprintf(stderr, "  %-20s idle %.1f MiB", relay.label().c_str(),
               static_cast<double>(base) / 1024);
  IdleSet conns;
  double deadline = now_s() + opt.idle_deadline;
  for (size_t n : opt.idle_counts) {
    double t0 = now_s();
    if (!conns.grow_to(loopback(relay.port()), upstream, n, deadline, err)) {
      results.note(relay.label(), kib_per_conn_key(n), "n/a");
      std::fprintf(stderr, "\n");
      *err = std::to_string(n) + " idle connections: " + *err;
      return false;
    }
    sleep_s(0.3);  // let the relay settle (lazy allocations, socat forks)
    long kib = relay_kib(relay);
    double per = static_cast<double>(kib - base) / static_cast<double>(n);
    results.add(relay.label(), kib_per_conn_key(n), per);
    std::fprintf(stderr, ", %zu conns %.1f KiB each (opened in %.1f s)", n, per, now_s() - t0);
  }
  std::fprintf(stderr, "\n");
  return true;
}

}  // namespace

bool measure_group(const std::string& group, Relay& relay, EpollServer& upstream,
                   const SuiteOptions& opt, Results& results, std::string* err) {
  if (group == "bulk") return bulk(relay, upstream, opt, all_bulk_configs(), results, err);
  if (group == "toxics") {
    // What the toxic adds to a round trip, where the round trip is short
    // enough to measure in the time given.
    return bulk(relay, upstream, opt, toxic_bulk_configs(relay.label()), results, err) &&
           (!toxic_ping(relay.label()) || latency(relay, opt, results, err));
  }
  if (group == "latency") return latency(relay, opt, results, err);
  if (group == "connrate") return connrate(relay, opt, results, err);
  if (group == "idle") return idle(relay, upstream, opt, results, err);
  *err = "unknown group " + group;
  return false;
}

}  // namespace bench
