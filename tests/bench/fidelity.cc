// fidelity.cc — see fidelity.h.
//
// One check per toxic type: start jinx with a scenario holding just that
// toxic on the proxy "bench" (in front of the bench's echo/source server),
// observe from the client side (probes.h), and print configured beside
// measured with the tolerance of issue 3. Times of windows come from the
// toxic_on / toxic_off events as jinx prints them, read as they arrive.
#include "fidelity.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "net.h"
#include "probes.h"
#include "report.h"

namespace bench {

namespace {

struct Row {
  std::string toxic, configured, measured, target;
  bool ok;
};

struct Ctx {
  std::string binary;
  Workdir dir;
  EpollServer* upstream;
  bool quick;
  std::vector<Row> rows;
  int seconds(int full, int quick_value) const { return quick ? quick_value : full; }
};

std::string ms(double seconds) {
  return fmt_num(seconds * 1000, 1) + " ms";
}

std::string toxic(const std::string& type, const std::string& attrs) {
  return "[[toxic]]\nproxy = \"bench\"\ntype = \"" + type + "\"\n" + attrs;
}

// jinx with the given toxics; on failure adds a failed row and returns null.
std::unique_ptr<JinxRelay> start_jinx(Ctx& c, const std::string& name, const std::string& toml,
                                      const std::string& top = "") {
  auto j = make_jinx(c.binary, c.dir, name, toml, top);
  std::string err;
  if (!j->start(c.upstream->port(), &err)) {
    c.rows.push_back({name, "", "jinx did not start: " + err.substr(0, err.find('\n')), "", false});
    return nullptr;
  }
  return j;
}

// Opens a connection and sends the selector byte(s); -1 on failure.
int open_conn(const JinxRelay& j, const std::string& first) {
  int e = 0;
  int fd = connect_tcp(loopback(j.port()), 3, 3, &e);
  if (fd >= 0 && !first.empty() && !write_all(fd, first.data(), first.size(), &e)) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string ending_text(const Ending& e) {
  if (e.at < 0) return "still open";
  return e.err == 0 ? "FIN" : e.err == ECONNRESET ? "RST" : std::strerror(e.err);
}

// Round trips of 16-byte chunks sent 5 ms apart, in seconds.
std::vector<double> echo_delays(const JinxRelay& j, int count) {
  SeqTrace t = seq_echo(loopback(j.port()), count, 0.005, 0.2);
  std::vector<double> d;
  for (const auto& r : t.records) {
    if (r.arrived >= 0) d.push_back(r.arrived - r.sent);
  }
  return d;
}

// Issue 11: a 300 us latency is never under the delay, and at most 200 us
// over it beyond the relay's own round trip (a plain jinx, measured now).
void check_short_latency(Ctx& c, const std::vector<double>& plain) {
  const int n = static_cast<int>(plain.size());
  std::vector<double> held;
  if (auto j = start_jinx(c, "latency", toxic("latency", "latency = \"300us\"\n"))) {
    j->wait_event("\"toxic_on\"", 5);
    held = echo_delays(*j, n);
  }
  bool all = n > 0 && static_cast<int>(held.size()) == n;
  double lo = held.empty() ? 0 : *std::min_element(held.begin(), held.end());
  double over = all ? percentile(held, 50) - percentile(plain, 50) - 300e-6 : 1;
  c.rows.push_back({"latency", "300 us, downstream",
                    "min " + fmt_num(lo * 1e6, 0) + " us, p50 " +
                        fmt_num(all ? percentile(held, 50) * 1e6 : 0, 0) + " us against " +
                        fmt_num(all ? percentile(plain, 50) * 1e6 : 0, 0) +
                        " us without: " + fmt_num(over * 1e6, 0) + " us over",
                    "min ≥ 300 us, p50 ≤ 200 us over", all && lo >= 300e-6 && over <= 200e-6});
}

void check_latency(Ctx& c) {
  // The relay's own round trip, which a latency comes on top of.
  std::vector<double> plain;
  if (auto j = start_jinx(c, "latency", "")) plain = echo_delays(*j, c.quick ? 40 : 200);
  const double own = plain.empty() ? 0 : percentile(plain, 50);
  auto j = start_jinx(
      c, "latency",
      toxic("latency", "stream = \"downstream\"\nlatency = \"50ms\"\njitter = \"10ms\"\n"));
  if (!j) return;
  // The window opens on the loop's first turn, maybe after the first accept.
  j->wait_event("\"toxic_on\"", 5);
  // 25 ms apart: further than two jitters, so holding order never delays a chunk.
  SeqTrace t = seq_echo(loopback(j->port()), c.quick ? 20 : 80, 0.025, 0.5);
  std::vector<double> d;
  for (const auto& r : t.records) {
    if (r.arrived >= 0) d.push_back(r.arrived - r.sent);
  }
  bool all = d.size() == t.records.size() && t.error.empty() && !plain.empty();
  double lo = d.empty() ? 0 : *std::min_element(d.begin(), d.end());
  double hi = d.empty() ? 0 : *std::max_element(d.begin(), d.end());
  // Issue 11: never under the drawn delay, at most 200 us over it beyond
  // the relay's own round trip.
  double top = 0.060 + own + 200e-6;
  c.rows.push_back({"latency", "50 ms ± 10 ms, downstream",
                    "p50 " + ms(percentile(d, 50)) + ", min " + ms(lo) + ", max " + ms(hi) + " (" +
                        std::to_string(d.size()) + "/" + std::to_string(t.records.size()) +
                        " chunks)" + (t.error.empty() ? "" : "; " + t.error),
                    "each in [40, 60.2 + " + fmt_num(own * 1e3, 2) + " (own round trip)] ms",
                    all && lo >= 0.040 && hi <= top});
  c.rows.push_back(
      {"latency", "order", t.in_order ? "in order" : "REORDERED", "in order", t.in_order});
  check_short_latency(c, plain);
}

void check_bandwidth(Ctx& c) {
  const double window = c.quick ? 1.0 : 2.0;
  struct Case {
    const char* text;
    double rate;
  };
  for (Case k :
       {Case{"10KB/s", 1e4}, Case{"1MB/s", 1e6}, Case{"100MB/s", 1e8}, Case{"1GB/s", 1e9}}) {
    auto j = start_jinx(
        c, "bandwidth",
        toxic("bandwidth", std::string("stream = \"downstream\"\nrate = \"") + k.text + "\"\n"));
    if (!j) continue;
    int fd = open_conn(*j, "o");  // select: source
    double got = fd < 0 ? 0 : receive_rates({fd}, 0.5, window)[0];
    if (fd >= 0) close(fd);
    double dev = got / k.rate - 1;
    std::string plain;  // at 1GB/s, whether the machine carries that much at all
    if (k.rate >= 1e9) {
      if (auto p = start_jinx(c, "bandwidth", "")) {
        int pfd = open_conn(*p, "o");
        plain = pfd < 0 ? ""
                        : "; without the toxic " +
                              fmt_num(receive_rates({pfd}, 0.5, window)[0] / 1e6, 0) + " MB/s";
        if (pfd >= 0) close(pfd);
      }
    }
    c.rows.push_back({"bandwidth", k.text,
                      fmt_num(got / 1e3, 1) + " KB/s (" + (dev >= 0 ? "+" : "") +
                          fmt_num(dev * 100, 1) + " %)" + plain,
                      "± 3 % over " + fmt_num(window, 0) + " s", std::fabs(dev) <= 0.03});
  }
  // scope = "proxy": two connections share one budget, fairly.
  auto j = start_jinx(
      c, "bandwidth",
      toxic("bandwidth", "stream = \"downstream\"\nrate = \"1MB/s\"\nscope = \"proxy\"\n"));
  if (!j) return;
  int a = open_conn(*j, "o"), b = open_conn(*j, "o");
  std::vector<double> r =
      a < 0 || b < 0 ? std::vector<double>{0, 0} : receive_rates({a, b}, 0.5, window);
  for (int fd : {a, b}) {
    if (fd >= 0) close(fd);
  }
  double sum = r[0] + r[1];
  c.rows.push_back({"bandwidth", "1MB/s, scope = proxy, 2 connections",
                    fmt_num(r[0] / 1e3, 0) + " + " + fmt_num(r[1] / 1e3, 0) + " = " +
                        fmt_num(sum / 1e3, 0) + " KB/s",
                    "sum ± 3 %, each ± 10 % of half",
                    std::fabs(sum / 1e6 - 1) <= 0.03 && std::fabs(r[0] / 5e5 - 1) <= 0.1 &&
                        std::fabs(r[1] / 5e5 - 1) <= 0.1});
}

void check_slicer(Ctx& c) {
  auto j = start_jinx(
      c, "slicer",
      toxic(
          "slicer",
          "stream = \"downstream\"\naverage_size = 200\nsize_variation = 100\ndelay = \"10ms\"\n"));
  if (!j) return;
  std::string out(c.quick ? 4000 : 20000, ' ');
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>('A' + (i * 7) % 26);
  out[0] = 'e';  // select: echo
  int fd = open_conn(*j, "");
  std::string back;
  std::vector<Piece> p =
      fd < 0 ? std::vector<Piece>{} : record_pieces(fd, out, now_s() + 10, &back);
  if (fd >= 0) close(fd);
  std::vector<double> sizes, gaps;
  for (size_t i = 0; i + 1 < p.size(); ++i)
    sizes.push_back(static_cast<double>(p[i].size));  // last may be short
  for (size_t i = 1; i < p.size(); ++i) gaps.push_back(p[i].at - p[i - 1].at);
  bool sizes_ok = !sizes.empty() && percentile(sizes, 0) >= 100 && percentile(sizes, 100) <= 300;
  bool gaps_ok = !gaps.empty() && std::fabs(percentile(gaps, 50) - 0.010) <= 0.001 &&
                 percentile(gaps, 0) >= 0.009;
  c.rows.push_back({"slicer", "200 ± 100 B",
                    "min " + fmt_num(percentile(sizes, 0), 0) + ", median " +
                        fmt_num(percentile(sizes, 50), 0) + ", max " +
                        fmt_num(percentile(sizes, 100), 0) + " B (" + std::to_string(p.size()) +
                        " pieces)",
                    "each in [100, 300] B", sizes_ok});
  c.rows.push_back({"slicer", "delay 10 ms",
                    "median " + ms(percentile(gaps, 50)) + ", min " + ms(percentile(gaps, 0)) +
                        ", max " + ms(percentile(gaps, 100)),
                    "median 10 ± 1 ms, min ≥ 9 ms", gaps_ok});
  c.rows.push_back({"slicer", "content",
                    back == out ? "intact" : "DIFFERS (" + std::to_string(back.size()) + " B)",
                    "intact", back == out});
}

void check_limit_data(Ctx& c) {
  auto j =
      start_jinx(c, "limit_data", toxic("limit_data", "stream = \"downstream\"\nbytes = 10000\n"));
  if (!j) return;
  int fd = open_conn(*j, "o");  // the source sends far more than 10,000 bytes
  Ending e = fd < 0 ? Ending{} : read_until_end(fd, now_s() + 3);
  if (fd >= 0) close(fd);
  c.rows.push_back({"limit_data", "10000 B", std::to_string(e.bytes) + " B, then " + ending_text(e),
                    "exactly 10000 B, then closed", e.bytes == 10000 && e.at >= 0});
}

// timeout and reset_peer: the connection opens during the window, so the
// toxic becomes active on it when it is accepted.
void check_closer(Ctx& c, const std::string& type, const std::string& attrs, int want_err) {
  auto j = start_jinx(c, type, toxic(type, attrs + "timeout = \"500ms\"\n"));
  if (!j) return;
  int fd = open_conn(*j, "e");
  double t0 = now_s();
  Ending e = fd < 0 ? Ending{} : read_until_end(fd, t0 + 3);
  if (fd >= 0) close(fd);
  double after = e.at - t0;
  c.rows.push_back({type, "500 ms",
                    (e.at < 0 ? std::string("not closed in 3 s") : ms(after)) + " after open, " +
                        ending_text(e) + ", " + std::to_string(e.bytes) + " B delivered",
                    std::string("500 ± 10 ms, ") +
                        (want_err == ECONNRESET ? "RST" : "closed, nothing delivered"),
                    e.at >= 0 && std::fabs(after - 0.5) <= 0.010 &&
                        (want_err == ECONNRESET ? e.err == ECONNRESET : e.bytes == 0)});
}

void check_slow_close(Ctx& c) {
  auto j = start_jinx(c, "slow_close",
                      toxic("slow_close", "stream = \"downstream\"\ndelay = \"300ms\"\n"));
  if (!j) return;
  int fd = open_conn(*j, "");
  char buf[16] = "e-slow-close---";
  int err = 0;
  bool echoed = fd >= 0 && write_all(fd, buf, sizeof buf, &err) &&
                read_full(fd, buf, sizeof buf, &err) == sizeof buf;
  double t0 = now_s();
  if (fd >= 0) shutdown(fd, SHUT_WR);  // the echo server closes in turn
  Ending e = echoed ? read_until_end(fd, t0 + 3) : Ending{};
  if (fd >= 0) close(fd);
  double after = e.at - t0;
  c.rows.push_back({"slow_close", "300 ms",
                    e.at < 0 ? "no FIN in 3 s" : "FIN " + ms(after) + " after the upstream's",
                    "300 ± 10 ms", e.at >= 0 && e.err == 0 && std::fabs(after - 0.3) <= 0.010});
}

void check_slow_open(Ctx& c) {
  auto j = start_jinx(c, "slow_open", toxic("slow_open", "delay = \"300ms\"\n"));
  if (!j) return;
  double t0 = now_s();
  int fd = open_conn(*j, "");
  char buf[16] = "e-slow-open----";
  int err = 0;
  bool ok = fd >= 0 && write_all(fd, buf, sizeof buf, &err) &&
            read_full(fd, buf, sizeof buf, &err) == sizeof buf;
  double after = now_s() - t0;
  if (fd >= 0) close(fd);
  c.rows.push_back({"slow_open", "300 ms",
                    ok ? "first echo " + ms(after) + " after connect" : "no echo", "300 ± 10 ms",
                    ok && std::fabs(after - 0.3) <= 0.010});
}

void check_corrupt(Ctx& c) {
  auto j =
      start_jinx(c, "corrupt", toxic("corrupt", "stream = \"downstream\"\nprobability = 0.05\n"));
  if (!j) return;
  std::string out(c.quick ? 256 * 1024 : 1024 * 1024, ' ');
  uint64_t x = 88172645463325252ULL;  // xorshift64: bytes that are not all alike
  for (auto& ch : out) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ch = static_cast<char>(x);
  }
  out[0] = 'e';  // select: echo (upstream is untouched, so this arrives intact)
  int fd = open_conn(*j, "");
  size_t extra = 0;
  std::string err;
  std::string back = fd < 0 ? "" : echo_all(fd, out, now_s() + 10, &extra, &err);
  if (fd >= 0) close(fd);
  size_t flipped = 0, one_bit = 0;
  for (size_t i = 0; i < std::min(back.size(), out.size()); ++i) {
    auto diff = static_cast<unsigned char>(back[i] ^ out[i]);
    if (diff == 0) continue;
    ++flipped;
    one_bit += std::bitset<8>(diff).count() == 1;
  }
  double n = static_cast<double>(out.size()), p = 0.05;
  double frac = static_cast<double>(flipped) / n, bound = 4 * std::sqrt(p * (1 - p) / n);
  c.rows.push_back(
      {"corrupt", "5 % of bytes",
       fmt_num(frac * 100, 2) + " % of " + fmt_num(n, 0) + " B" + (err.empty() ? "" : "; " + err),
       "5 ± " + fmt_num(bound * 100, 2) + " % (4 σ)", err.empty() && std::fabs(frac - p) <= bound});
  c.rows.push_back({"corrupt", "1 bit per corrupted byte",
                    fmt_num(static_cast<double>(one_bit), 0) + " of " +
                        fmt_num(static_cast<double>(flipped), 0) + " have exactly 1",
                    "all", one_bit == flipped && flipped > 0});
  c.rows.push_back({"corrupt", "length",
                    back.size() == out.size() && extra == 0
                        ? "unchanged"
                        : std::to_string(back.size()) + " B for " + std::to_string(out.size()),
                    "unchanged", back.size() == out.size() && extra == 0});
}

void check_stall(Ctx& c) {
  auto j = start_jinx(
      c, "stall", toxic("stall", "stream = \"downstream\"\nstart = \"1s\"\nduration = \"1s\"\n"));
  if (!j) return;
  SeqTrace t = seq_echo(loopback(j->port()), 50, 0.05, 1.0);  // 2.5 s of chunks, 50 ms apart
  double on = j->wait_event("\"toxic_on\"", 0.1), off = j->wait_event("\"toxic_off\"", 0.1);
  int during = 0, held = 0, lost = 0;
  double first_after = -1;
  for (const auto& r : t.records) {
    if (r.arrived < 0) ++lost;
    if (on < 0 || off < 0 || r.arrived < 0) continue;
    // jinx prints toxic_off right after it released the held data, so the
    // edges of the window get 5 ms of slack either way.
    if (r.arrived > on + 0.005 && r.arrived < off - 0.005) ++during;
    if (r.sent > on && r.sent < off) {
      ++held;
      if (first_after < 0 || r.arrived < first_after) first_after = r.arrived;
    }
  }
  bool events = on >= 0 && off >= 0;
  c.rows.push_back({"stall", "window 1 s from t = 1 s",
                    events
                        ? std::to_string(during) + " chunks delivered in the window; " +
                              std::to_string(held) + " held chunks out " + ms(first_after - off) +
                              " after it; " + (t.in_order ? "in order" : "REORDERED") + ", " +
                              std::to_string(lost) + " lost"
                        : "no toxic_on/toxic_off events",
                    "none during, all after, in order",
                    events && during == 0 && held > 0 && lost == 0 && t.in_order &&
                        std::fabs(first_after - off) <= 0.010});
}

void check_down(Ctx& c) {
  auto j = start_jinx(c, "down", toxic("down", "start = \"1s\"\nduration = \"1s\"\n"));
  if (!j) return;
  double t_start = now_s();
  int held = open_conn(*j, "e");
  Ending held_end;
  std::thread watcher([&] {
    if (held >= 0) held_end = read_until_end(held, t_start + 3);
  });
  struct Attempt {
    double at;
    int err;  // 0 = served (connected and echoed)
  };
  std::vector<Attempt> attempts;
  while (now_s() < t_start + 2.6) {
    double at = now_s();
    int e = 0;
    int fd = connect_tcp(loopback(j->port()), 0.5, 0.5, &e);
    if (fd >= 0) {
      char buf[16] = "e-down---------";
      if (!write_all(fd, buf, sizeof buf, &e) || read_full(fd, buf, sizeof buf, &e) != sizeof buf)
        e = e ? e : EPIPE;
      close(fd);
    }
    attempts.push_back({at, e});
    sleep_s(0.05);
  }
  watcher.join();
  if (held >= 0) close(held);
  double on = j->wait_event("\"toxic_on\"", 0.1), off = j->wait_event("\"toxic_off\"", 0.1);
  if (on < 0 || off < 0) {
    c.rows.push_back({"down", "window 1 s", "no toxic_on/toxic_off events", "", false});
    return;
  }
  int in_window = 0, refused = 0, after = 0, served_after = 0;
  double first_served = -1;
  for (const auto& a : attempts) {
    if (a.at > on + 0.02 && a.at < off - 0.02) {
      ++in_window;
      refused += a.err == ECONNREFUSED;
    }
    if (a.at > off + 0.05) {
      ++after;
      served_after += a.err == 0;
    }
    if (a.at > off && a.err == 0 && first_served < 0) first_served = a.at;
  }
  c.rows.push_back({"down", "refuse during window",
                    std::to_string(refused) + " of " + std::to_string(in_window) +
                        " attempts refused (ECONNREFUSED)",
                    "all", in_window > 0 && refused == in_window});
  c.rows.push_back(
      {"down", "close open connections",
       held_end.at < 0 ? "open connection not closed"
                       : ending_text(held_end) + " " + ms(held_end.at - on) + " after toxic_on",
       "closed at window start", held_end.at >= 0 && std::fabs(held_end.at - on) <= 0.010});
  c.rows.push_back({"down", "serve after window",
                    std::to_string(served_after) + " of " + std::to_string(after) +
                        " served; first " + ms(first_served - off) + " after toxic_off",
                    "all", after > 0 && served_after == after});
}

// Toxicity: the affected fraction, and the same connections with the same
// seed. corrupt at probability 1 marks an affected connection at once.
void check_toxicity(Ctx& c) {
  const int n = c.quick ? 300 : 1000;
  std::vector<std::vector<bool>> runs;
  for (int run = 0; run < 2; ++run) {
    auto j =
        start_jinx(c, "toxicity",
                   toxic("corrupt", "stream = \"downstream\"\nprobability = 1.0\ntoxicity = 0.3\n"),
                   "seed = 7\n");
    if (!j) return;
    std::vector<bool> hit;
    for (int i = 0; i < n; ++i) {  // one at a time, so connection numbers are 1..n
      int fd = open_conn(*j, "");
      char out[16] = "e-toxicity-----", in[16];
      int e = 0;
      bool ok = fd >= 0 && write_all(fd, out, sizeof out, &e) &&
                read_full(fd, in, sizeof in, &e) == sizeof in;
      if (fd >= 0) close(fd);
      if (!ok) {
        c.rows.push_back(
            {"toxicity", "0.3", "connection " + std::to_string(i + 1) + " failed", "", false});
        return;
      }
      hit.push_back(std::memcmp(in, out, sizeof out) != 0);
    }
    runs.push_back(hit);
  }
  double frac = static_cast<double>(std::count(runs[0].begin(), runs[0].end(), true)) / n;
  double bound = 4 * std::sqrt(0.3 * 0.7 / n);
  c.rows.push_back({"toxicity", "0.3 (corrupt, " + std::to_string(n) + " connections)",
                    fmt_num(frac, 3) + " affected", "0.3 ± " + fmt_num(bound, 3) + " (4 σ)",
                    std::fabs(frac - 0.3) <= bound});
  c.rows.push_back({"toxicity", "seed 7, run twice",
                    runs[0] == runs[1] ? "same connections" : "DIFFERENT connections", "same",
                    runs[0] == runs[1]});
}

}  // namespace

int run_fidelity(const std::string& jinx_binary, const Workdir& dir, bool quick,
                 const std::set<std::string>& only) {
  Ctx c{jinx_binary, dir, nullptr, quick, {}};
  if (std::string why = make_jinx(jinx_binary, dir, "probe", "")->unavailable(); !why.empty()) {
    std::fprintf(stderr, "jinx_bench fidelity: %s\n", why.c_str());
    return 1;
  }
  EpollServer upstream(ServeMode::select);
  c.upstream = &upstream;

  const std::vector<std::pair<std::string, std::function<void(Ctx&)>>> checks = {
      {"latency", check_latency},
      {"bandwidth", check_bandwidth},
      {"slicer", check_slicer},
      {"limit_data", check_limit_data},
      {"timeout", [](Ctx& x) { check_closer(x, "timeout", "stream = \"downstream\"\n", 0); }},
      {"reset_peer", [](Ctx& x) { check_closer(x, "reset_peer", "", ECONNRESET); }},
      {"slow_close", check_slow_close},
      {"slow_open", check_slow_open},
      {"corrupt", check_corrupt},
      {"stall", check_stall},
      {"down", check_down},
      {"toxicity", check_toxicity},
  };
  for (const auto& name : only) {
    if (std::none_of(checks.begin(), checks.end(),
                     [&](const auto& k) { return k.first == name; })) {
      std::fprintf(stderr, "jinx_bench fidelity: unknown check '%s'\n", name.c_str());
      return 2;
    }
  }
  for (const auto& [name, check] : checks) {
    if (!only.empty() && !only.count(name)) continue;
    std::fprintf(stderr, "fidelity: %s\n", name.c_str());
    check(c);
  }
  upstream.stop();

  std::printf("## jinx_bench fidelity: configured against measured (tolerances of issue 3)\n\n");
  Table t({"toxic", "configured", "measured", "target", "met"});
  bool all = true;
  for (const auto& r : c.rows) {
    t.row({r.toxic, r.configured, r.measured, r.target, r.ok ? "yes" : "NO"});
    all = all && r.ok;
  }
  std::printf("%s", t.str().c_str());
  return all && !c.rows.empty() ? 0 : 1;
}

}  // namespace bench
