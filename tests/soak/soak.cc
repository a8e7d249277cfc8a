#include "soak.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "proc_stat.h"

namespace soak {

using namespace std::chrono_literals;

namespace {

constexpr auto kStartDelay = 3000ms;  // --start-at: time for the warm-up before t = 0
constexpr size_t kShownViolations = 25;

std::string mib(double kib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", kib / 1024.0);
  return buf;
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t{1} << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1 << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  return buf;
}

std::string ip_of(const std::string& hostport) {
  return hostport.substr(0, hostport.rfind(':'));
}

uint32_t parse_ip(const std::string& ip) {
  unsigned a, b, c, d;
  if (std::sscanf(ip.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4) return 0;
  return (a << 24) | (b << 16) | (c << 8) | d;
}

std::mt19937_64& rng() {
  static std::mt19937_64 r;
  return r;
}

}  // namespace

Soak::Soak(Options opts) : opts_(std::move(opts)), pattern_(opts_.seed) {
  rng().seed(opts_.seed);
  int seconds = std::max(1, static_cast<int>(std::ceil(opts_.duration_s)));
  plan_ = make_plan(opts_.proxies, seconds);
  for (const auto& t : plan_.toxics) toxic_type_[t.name] = t.type;
}

Soak::~Soak() {
  jinx_.reset();
  for (auto& [ip, c] : by_ip_) delete c;
  by_ip_.clear();
  if (!scenario_dir_.empty()) std::filesystem::remove_all(scenario_dir_);
}

double Soak::since_t0() const {
  return std::chrono::duration<double>(Clock::now() - t0_).count();
}

void Soak::violation(const std::string& what) {
  ++violation_count_;
  if (violations_.size() < kShownViolations) violations_.push_back(what);
  if (opts_.verbose) std::cout << "[soak] VIOLATION " << what << std::endl;
}

// ---- the run, top to bottom --------------------------------------------------

int Soak::run() {
  std::cout << "[soak] jinx " << opts_.jinx << "\n[soak] " << opts_.duration_s << " s, "
            << opts_.connections << " connections, " << opts_.proxies << " proxies, "
            << plan_.toxics.size() << " toxics toggled every second, seed " << opts_.seed
            << std::endl;
  // 1. Upstream servers: one per proxy, echo and downloads on request.
  start_servers();
  // 2. jinx, with the timeline starting a few seconds after the listeners.
  start_jinx();
  // 3. Before t = 0: one download per proxy, then the fd baseline.
  warm_up();
  // 4. t = 0 .. duration: every client slot busy while the toxics toggle.
  load();
  // 5. No new clients; every client and every toxic window ends.
  drain();
  // 6. SIGTERM; jinx ends its session.
  stop_jinx();
  // 7. The figures and the verdict.
  return report();
}

template <typename Done>
bool Soak::run_until(Done done, Clock::time_point deadline) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    loop_.run_once(50ms);
    auto now = Clock::now();
    if (t0_known_ && jinx_ && now >= next_sample_) {
      sample();
      next_sample_ += 1000ms;
      if (next_sample_ < now) next_sample_ = now + 1000ms;
    }
    if (now >= next_watch_) {
      watchdog();
      next_watch_ = now + 1000ms;
    }
    if (loading_ && now >= next_progress_) {
      const Sample& s = samples_.empty() ? Sample{0, {}} : samples_.back();
      std::printf(
          "[soak] t=%5.0fs clients=%llu active=%d jinx-open=%zu intact=%llu cut=%llu "
          "rss=%s fds=%d cpu=%.0fs\n",
          since_t0(), static_cast<unsigned long long>(clients_), active_, open_conns_.size(),
          static_cast<unsigned long long>(intact_), static_cast<unsigned long long>(cut_),
          mib(static_cast<double>(s.proc.rss_kib)).c_str(), s.proc.fds, s.proc.cpu_s);
      std::fflush(stdout);
      next_progress_ = now + (opts_.duration_s > 120 ? 30000ms : 5000ms);
    }
  }
  return true;
}

void Soak::start_servers() {
  for (int i = 0; i < opts_.proxies; ++i) servers_.push_back(start_upstream(pattern_));
}

void Soak::start_jinx() {
  char tmpl[] = "/tmp/jinx-soak.XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  scenario_dir_ = tmpl;
  std::vector<std::string> upstreams;
  for (auto& s : servers_) upstreams.push_back(s->address());
  std::string path = scenario_dir_ + "/soak.toml";
  std::ofstream(path) << plan_.toml(upstreams);
  if (opts_.print_scenario) std::cout << plan_.toml(upstreams);

  listen_.assign(static_cast<size_t>(opts_.proxies), "");
  jinx_ = std::make_unique<JinxChild>(
      loop_, opts_.jinx,
      std::vector<std::string>{"run", "--seed", std::to_string(opts_.seed), "--start-at",
                               "+" + std::to_string(kStartDelay.count()) + "ms", "--no-progress",
                               path},
      [this](const json& e) { on_event(e); });
  bool up = run_until(
      [&] {
        return t0_known_ && std::all_of(listen_.begin(), listen_.end(),
                                        [](const std::string& a) { return !a.empty(); });
      },
      Clock::now() + 5000ms);
  if (!up)
    throw std::runtime_error("jinx did not start listening within 5 s; stderr:\n" +
                             jinx_->stderr_tail());
  at_start_ = sample_proc(jinx_->pid());
  std::cout << "[soak] jinx pid " << jinx_->pid() << " listening; " << at_start_.fds << " fds, RSS "
            << mib(static_cast<double>(at_start_.rss_kib)) << std::endl;
}

void Soak::warm_up() {
  std::vector<uint32_t> probes;
  for (int p = 0; p < opts_.proxies; ++p)
    probes.push_back(new_client(-1 - p, Request::small)->ip());
  bool done = run_until(
      [&] {
        return std::none_of(probes.begin(), probes.end(),
                            [&](uint32_t ip) { return by_ip_.count(ip) != 0; });
      },
      t0_ - 300ms);
  if (!done) violation("warm-up: a download through each proxy did not finish before t = 0");
  // Closed sockets leave jinx's fd table at once; give it a moment anyway.
  run_until([] { return false; }, Clock::now() + 100ms);
  after_warm_up_ = sample_proc(jinx_->pid());
  std::cout << "[soak] warm-up done: " << after_warm_up_.fds << " fds, RSS "
            << mib(static_cast<double>(after_warm_up_.rss_kib)) << std::endl;
}

void Soak::load() {
  run_until([] { return false; }, t0_);
  loading_ = true;
  load_end_ = t0_ + std::chrono::milliseconds(static_cast<int64_t>(opts_.duration_s * 1000));
  next_sample_ = Clock::now();
  next_progress_ = Clock::now() + 5000ms;
  cpu_load_start_ = jinx_test::cpu_seconds(jinx_->pid());
  for (int slot = 0; slot < opts_.connections; ++slot) spawn(slot);
  if (run_until([&] { return jinx_->poll_exit().has_value(); }, load_end_))
    violation("jinx exited during the load, at t=" + std::to_string(since_t0()) + " s");
  cpu_load_end_ = jinx_test::cpu_seconds(jinx_->pid());
  loading_ = false;
  sample();
  std::printf("[soak] t=%.1fs load over: %d clients open, draining\n", since_t0(), active_);
}

void Soak::drain() {
  auto stuck_limit = std::chrono::milliseconds(static_cast<int64_t>(opts_.stuck_after_s * 1000));
  if (!run_until([&] { return active_ == 0 || jinx_->poll_exit(); },
                 Clock::now() + stuck_limit + 10000ms))
    violation("drain: " + std::to_string(active_) + " clients still open after the watchdog limit");
  uint64_t windows = static_cast<uint64_t>(plan_.windows) * plan_.toxics.size();
  auto all_on = [&] {
    uint64_t n = 0;
    for (auto& [type, k] : toxic_off_) n += k;
    return n;
  };
  bool quiet =
      run_until([&] { return (all_on() >= windows && open_conns_.empty()) || jinx_->poll_exit(); },
                Clock::now() + 20000ms);
  quiet = quiet && !jinx_->poll_exit();
  if (!quiet) {
    if (!open_conns_.empty())
      violation("drain: " + std::to_string(open_conns_.size()) +
                " connections have a conn_open and no conn_close, 20 s after every client closed");
    if (all_on() < windows)
      violation("drain: " + std::to_string(all_on()) + " toxic windows ended, expected " +
                std::to_string(windows));
  }
  std::printf("[soak] t=%.1fs drained: %d clients open, %zu connections open in jinx\n", since_t0(),
              active_, open_conns_.size());
  // Clients that jinx never accepted (reset in the backlog when a `down`
  // window closed the listener) must not have received anything.
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    Client* c = it->second;
    if (c->finished() && c->conn < 0) {
      ++never_accepted_;
      if (c->received().got > 0)
        violation("received bytes without a conn_open from jinx: " + c->describe());
      bytes_sent_ += c->sent() + (c->sent_request() ? 1 : 0);
      bytes_received_ += c->received().got;
      it = by_ip_.erase(it);
      loop_.retire(c);
    } else {
      ++it;
    }
  }
  // jinx's descriptors: the listeners are back, every connection is gone.
  run_until([&] { return jinx_test::open_fds(jinx_->pid()) <= after_warm_up_.fds; },
            Clock::now() + 3000ms);
  // jinx hands memory back one second after its last connection closed
  // (Session's trim timer): sampled at once, the idle RSS still held the
  // load's buffers (77 MiB once on a loaded machine).
  long settled_kib =
      static_cast<long>(static_cast<double>(after_warm_up_.rss_kib) * (1 + opts_.rss_tolerance)) +
      opts_.rss_slack_kib;
  run_until([&] { return sample_proc(jinx_->pid()).rss_kib <= settled_kib; },
            Clock::now() + 2500ms);
  at_end_ = sample_proc(jinx_->pid());
}

void Soak::stop_jinx() {
  jinx_->signal(SIGTERM);
  bool exited =
      run_until([&] { return jinx_->poll_exit() && !jinx_->stdout_open(); }, Clock::now() + 5000ms);
  if (!exited) {
    violation("jinx did not exit within 5 s of SIGTERM");
    jinx_->kill_now();
  }
  exit_status_ = jinx_->poll_exit();
}

// ---- clients ----------------------------------------------------------------

Client* Soak::new_client(int slot, Request req) {
  int proxy = slot >= 0 ? slot % opts_.proxies : -1 - slot;
  uint64_t echo_bytes = 0;
  if (req == Request::echo) {
    // 1 KiB .. 512 KiB, evenly spread on a log scale.
    std::uniform_real_distribution<double> exp2(10, 19);
    echo_bytes = static_cast<uint64_t>(std::pow(2.0, exp2(rng())));
  }
  uint64_t id = next_client_++;
  auto* c =
      new Client(loop_, pattern_, id, slot, proxy, req, echo_bytes, rng()() % Pattern::kSize,
                 static_cast<uint32_t>(rng()()), [this](Client& done) { on_client_done(done); });
  by_ip_[c->ip()] = c;
  ++clients_;
  ++active_;
  c->start(listen_[static_cast<size_t>(proxy)]);
  return c;
}

void Soak::spawn(int slot) {
  if (!loading_) return;
  unsigned roll = static_cast<unsigned>(rng()() % 100);
  Request req = roll < 45   ? Request::echo
                : roll < 65 ? Request::small
                : roll < 85 ? Request::medium
                            : Request::large;
  new_client(slot, req);
}

void Soak::on_client_done(Client& c) {
  --active_;
  if (c.end() == End::connect_failed) {
    if (c.error() == ECONNREFUSED) {
      ++refused_;
    } else {
      ++connect_errors_;
      ++connect_error_names_[std::strerror(c.error())];
    }
  }
  if (c.end() == End::stuck) {
    ++stuck_;
    violation("no progress for " + std::to_string(static_cast<int>(opts_.stuck_after_s)) +
              " s: " + c.describe());
  }
  int slot = c.slot();
  if (slot >= 0 && loading_) {
    if (c.end() == End::connect_failed) {
      // Refused while the proxy is down: try again a little later.
      auto delay = std::chrono::milliseconds(20 + rng()() % 60);
      loop_.at(Clock::now() + delay, [this, slot] { spawn(slot); });
    } else {
      spawn(slot);
    }
  }
  try_finalize(c);
}

void Soak::try_finalize(Client& c) {
  if (!c.finished()) return;
  // Refused: jinx cannot have seen it. Otherwise wait for jinx's conn_close.
  bool refused = c.end() == End::connect_failed && c.error() == ECONNREFUSED;
  if (!refused && !c.close_seen) return;
  if (!refused) classify(c);
  bytes_sent_ += c.sent() + (c.sent_request() ? 1 : 0);
  bytes_received_ += c.received().got;
  by_ip_.erase(c.ip());
  loop_.retire(&c);
}

// The data checks of one connection, against what jinx says touched it.
void Soak::classify(Client& c) {
  const Verifier& v = c.received();
  bool corrupt = false, altering = c.close_reason == "proxy_down" || c.close_reason == "toxic";
  for (const auto& name : c.close_toxics) {
    auto it = toxic_type_.find(name);
    if (it == toxic_type_.end()) {
      violation("conn_close lists an unknown toxic '" + name + "': " + c.describe());
      continue;
    }
    if (it->second == "corrupt") corrupt = true;
    if (alters_data(it->second)) altering = true;
  }
  if (c.end() == End::stuck) return;  // already reported
  uint64_t limit = c.request() == Request::echo ? c.sent() : c.expected();
  if (v.got > limit) {
    violation("received more bytes than were sent: " + c.describe());
    return;
  }
  if (v.diff_bytes > 0 && !corrupt) {
    violation("bytes changed, and no corrupt toxic applied: " + c.describe());
    return;
  }
  if (v.diff_bytes > 0 && v.max_flipped_bits > plan_.corrupt_toxics(c.proxy())) {
    violation("more bits flipped in one byte than the corrupt toxics can: " + c.describe());
    return;
  }
  if (altering) {
    ++(v.diff_bytes > 0 ? corrupted_ : cut_);
    return;
  }
  // Nothing that may lose or change data applied: all of it, intact, and a
  // clean end on both sides.
  bool clean_reason = c.close_reason == "client_closed" || c.close_reason == "upstream_closed";
  bool complete = c.end() == End::eof && v.got == c.expected() && v.diff_bytes == 0 &&
                  (c.request() != Request::echo || c.sent() == c.expected());
  bool counted = c.jinx_bytes_down == v.got && c.jinx_bytes_up == c.sent() + 1;
  if (!complete || !clean_reason || !counted) {
    violation(std::string(v.diff_bytes    ? "bytes changed"
                          : !complete     ? "incomplete"
                          : !clean_reason ? "unexpected close reason"
                                          : "jinx's byte counts differ") +
              " on a connection no data-altering toxic touched: " + c.describe());
    return;
  }
  ++intact_;
}

void Soak::watchdog() {
  auto limit = std::chrono::milliseconds(static_cast<int64_t>(opts_.stuck_after_s * 1000));
  auto now = Clock::now();
  std::vector<Client*> stuck;
  for (auto& [ip, c] : by_ip_)
    if (!c->finished() && now - c->last_progress() > limit) stuck.push_back(c);
  for (Client* c : stuck) c->abandon();
}

// ---- jinx's events ----------------------------------------------------------

void Soak::on_event(const json& e) {
  std::string name = e.value("event", "");
  if (name == "conn_open") {
    on_conn_open(e);
  } else if (name == "conn_close") {
    on_conn_close(e);
  } else if (name == "conn_upstream") {
    ++conn_upstreams_;
  } else if (name == "toxic_on" || name == "toxic_off") {
    auto it = toxic_type_.find(e.value("toxic", ""));
    std::string type = it == toxic_type_.end() ? "?" : it->second;
    if (name == "toxic_on") {
      ++toxic_on_[type];
      ++windows_open_;
    } else {
      ++toxic_off_[type];
      --windows_open_;
    }
  } else if (name == "session_start") {
    double t = e.value("t", 0.0);
    t0_ = Clock::now() - std::chrono::microseconds(static_cast<int64_t>(t * 1e6));
    t0_known_ = true;
  } else if (name == "proxy_listen") {
    std::string proxy = e.value("proxy", "");
    for (int i = 0; i < opts_.proxies; ++i)
      if (plan_.proxy_name(i) == proxy) listen_[static_cast<size_t>(i)] = e.value("listen", "");
  } else if (name == "warning") {
    ++warnings_;
    if (warning_texts_.size() < 10) warning_texts_.push_back(e.value("message", ""));
  } else if (name == "error") {
    violation("jinx error event: " + e.dump());
  } else if (name == "session_end") {
    session_end_ = e;
  }
}

void Soak::on_conn_open(const json& e) {
  ++conn_opens_;
  int64_t conn = e.value("conn", int64_t{-1});
  std::string client = e.value("client", "");
  auto it = by_ip_.find(parse_ip(ip_of(client)));
  Client* c = it == by_ip_.end() ? nullptr : it->second;
  if (!c)
    violation("conn_open " + std::to_string(conn) + " from an unknown client " + client);
  else if (c->conn >= 0)
    violation("two conn_open for one client: " + c->describe());
  if (!open_conns_.emplace(conn, c).second)
    violation("conn " + std::to_string(conn) + " opened twice");
  if (c) c->conn = conn;
}

void Soak::on_conn_close(const json& e) {
  ++conn_closes_;
  int64_t conn = e.value("conn", int64_t{-1});
  std::string reason = e.value("reason", "");
  ++close_reasons_[reason];
  auto it = open_conns_.find(conn);
  if (it == open_conns_.end()) {
    violation("conn_close without a conn_open: " + e.dump());
    return;
  }
  Client* c = it->second;
  open_conns_.erase(it);
  if (!c) return;
  c->close_seen = true;
  c->close_reason = reason;
  c->jinx_bytes_up = e.value("bytes_up", uint64_t{0});
  c->jinx_bytes_down = e.value("bytes_down", uint64_t{0});
  if (e.contains("toxics") && e["toxics"].is_array())
    for (const auto& t : e["toxics"]) c->close_toxics.push_back(t.get<std::string>());
  if (reason == "shutdown" || reason == "upstream_unreachable" || reason == "error")
    violation("conn_close reason '" + reason + "' during the soak: " + e.dump());
  try_finalize(*c);
}

void Soak::sample() {
  if (!jinx_ || jinx_->poll_exit()) return;
  samples_.push_back({since_t0(), sample_proc(jinx_->pid())});
  if (opts_.verbose) {
    const auto& s = samples_.back();
    std::printf("[soak] sample t=%.1f rss_kib=%ld fds=%d cpu_s=%.2f active=%d\n", s.t,
                s.proc.rss_kib, s.proc.fds, s.proc.cpu_s, active_);
  }
}

// ---- the report -------------------------------------------------------------

int Soak::report() {
  bool ok = true;
  auto check = [&](bool good, const std::string& what) {
    std::cout << (good ? "  ok    " : "  FAIL  ") << what << "\n";
    ok = ok && good;
  };
  auto u = [](uint64_t n) { return std::to_string(n); };
  std::cout << "\n[soak] report\n";

  // Connections and bytes.
  std::cout << "  clients      " << clients_ << " started (" << refused_
            << " refused while a proxy was down, " << connect_errors_ << " other connect errors, "
            << never_accepted_ << " reset in jinx's accept queue)\n"
            << "  outcomes     " << intact_ << " complete and intact, " << cut_
            << " cut short (a prefix), " << corrupted_ << " with flipped bits (aligned), " << stuck_
            << " stuck\n"
            << "  bytes        clients sent " << human_bytes(bytes_sent_) << ", received "
            << human_bytes(bytes_received_);
  if (session_end_)
    std::cout << "; jinx delivered " << human_bytes(session_end_->value("bytes_up", uint64_t{0}))
              << " up, " << human_bytes(session_end_->value("bytes_down", uint64_t{0})) << " down";
  if (!connect_error_names_.empty()) {
    std::cout << "\n  connect      ";
    for (auto& [name, n] : connect_error_names_) std::cout << name << " " << n << "  ";
  }
  std::cout << "\n  close        ";
  for (auto& [reason, n] : close_reasons_) std::cout << reason << " " << n << "  ";
  std::cout << "\n  toxics       ";
  for (const auto& type : all_toxic_types())
    std::cout << type << " " << toxic_on_[type] << "/" << toxic_off_[type] << "  ";
  std::cout << "(windows on/off)\n";
  if (warnings_) {
    std::cout << "  warnings     " << warnings_ << ", first: ";
    for (auto& w : warning_texts_) std::cout << "\n               " << w;
    std::cout << "\n";
  }

  // Memory, descriptors, CPU. The reference for "flat" is the highest RSS in
  // the second half of the warm-up (the first fifth of the load, 5..60 s):
  // one sample would be at the mercy of where the toxics happen to be.
  double warm_at = std::clamp(opts_.duration_s / 5, 5.0, 60.0);
  long warm_rss = 0, peak_rss = 0, late_rss = 0, peak_fds = 0;
  for (const auto& s : samples_) {
    peak_rss = std::max(peak_rss, s.proc.rss_kib);
    peak_fds = std::max<long>(peak_fds, s.proc.fds);
    if (s.t >= warm_at / 2 && s.t <= warm_at) warm_rss = std::max(warm_rss, s.proc.rss_kib);
    if (s.t >= opts_.duration_s * 0.8) late_rss = std::max(late_rss, s.proc.rss_kib);
  }
  if (warm_rss == 0) warm_rss = after_warm_up_.rss_kib;
  double load_s = opts_.duration_s;
  double cpu = cpu_load_end_ - cpu_load_start_;
  std::printf(
      "  rss          start %s, after warm-up (max over t=%.0f..%.0fs) %s, peak %s, last fifth "
      "of the load %s, end (idle) %s\n",
      mib(static_cast<double>(at_start_.rss_kib)).c_str(), warm_at / 2, warm_at,
      mib(static_cast<double>(warm_rss)).c_str(), mib(static_cast<double>(peak_rss)).c_str(),
      mib(static_cast<double>(late_rss)).c_str(),
      mib(static_cast<double>(at_end_.rss_kib)).c_str());
  std::printf("  fds          start %d, after warm-up %d, peak %ld, end %d\n", at_start_.fds,
              after_warm_up_.fds, peak_fds, at_end_.fds);
  std::printf("  cpu          jinx %.1f s over %.0f s of load: %.0f%% of one core\n", cpu, load_s,
              100 * cpu / load_s);
  std::cout << "  events       conn_open " << conn_opens_ << ", conn_close " << conn_closes_
            << ", conn_upstream " << conn_upstreams_ << ", lines " << jinx_->lines() << "\n";
  std::cout << "[soak] checks\n";

  check(violation_count_ == 0,
        "every connection's bytes: complete and intact where no data-altering toxic applied, "
        "a prefix (corrupt: bit flips only) elsewhere (" +
            u(violation_count_) + " violations)");
  for (const auto& v : violations_) std::cout << "          " << v << "\n";
  if (violation_count_ > violations_.size())
    std::cout << "          ... and " << violation_count_ - violations_.size() << " more\n";
  check(intact_ > 0 && clients_ > 0,
        "clients ran, and some went through untouched (" + u(intact_) + ")");
  check(conn_opens_ == conn_closes_ && open_conns_.empty(),
        "every conn_open has its conn_close (" + u(conn_opens_) + " / " + u(conn_closes_) + ")");
  bool every_type = true;
  for (const auto& type : all_toxic_types())
    every_type = every_type && toxic_on_[type] > 0 && toxic_on_[type] == toxic_off_[type];
  check(every_type, "every toxic type was switched on and off");
  check(at_end_.fds == after_warm_up_.fds,
        "jinx's open fds back to the baseline after every client closed (" +
            std::to_string(at_end_.fds) + " vs " + std::to_string(after_warm_up_.fds) +
            " after warm-up, " + std::to_string(at_start_.fds) + " before the first connection)");
  long rss_limit = static_cast<long>(static_cast<double>(warm_rss) * (1 + opts_.rss_tolerance)) +
                   opts_.rss_slack_kib;
  check(at_end_.rss_kib > 0 && at_end_.rss_kib <= rss_limit && late_rss <= rss_limit,
        "RSS flat after warm-up: end " + mib(static_cast<double>(at_end_.rss_kib)) +
            " and last fifth of the load " + mib(static_cast<double>(late_rss)) +
            " <= " + mib(static_cast<double>(rss_limit)) + " (post-warm-up RSS +" +
            std::to_string(static_cast<int>(opts_.rss_tolerance * 100)) + "% + " +
            mib(static_cast<double>(opts_.rss_slack_kib)) + ")");
  bool clean_exit = exit_status_ && WIFEXITED(*exit_status_) && WEXITSTATUS(*exit_status_) == 143;
  check(clean_exit,
        "jinx exited 143 after SIGTERM (" +
            std::string(!exit_status_ ? "still running"
                        : WIFEXITED(*exit_status_)
                            ? "exit " + std::to_string(WEXITSTATUS(*exit_status_))
                            : std::string("signal ") + strsignal(WTERMSIG(*exit_status_))) +
            ")");
  bool end_ok = session_end_ && session_end_->value("reason", "") == "signal" &&
                session_end_->value("connections", uint64_t{0}) == conn_opens_;
  check(end_ok, "session_end: reason signal, connections = conn_open events" +
                    (session_end_ ? " (" + session_end_->dump() + ")" : std::string(" (none)")));
  if (!ok || opts_.verbose)
    std::cout << "--- jinx stderr (tail):\n" << jinx_->stderr_tail() << "---\n";
  std::cout << "[soak] " << (ok ? "PASS" : "FAIL") << std::endl;
  return ok ? 0 : 1;
}

}  // namespace soak
