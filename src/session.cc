#include "session.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>

#include "address.h"
#include "chunk.h"
#include "connection.h"
#include "random.h"
#include "status_line.h"

namespace jinx {

void attributes_object(const ToxicSpec& spec, const std::vector<double>& attrs, double toxicity,
                       std::string* json, std::string* text) {
  *json = "{";
  text->clear();
  auto add = [&](std::string_view name, const std::string& json_value, const std::string& shown) {
    if (json->size() > 1) *json += ',';
    append_json_string(*json, name);
    *json += ':';
    *json += json_value;
    if (!text->empty()) *text += ' ';
    *text += std::string(name) + "=" + shown;
  };
  char buf[64];
  for (size_t i = 0; i < spec.type->attrs.size(); ++i) {
    const AttrSpec& a = spec.type->attrs[i];
    if (!a.numeric()) {
      std::string value = i < spec.texts.size() ? spec.texts[i] : std::string();
      std::string quoted;
      append_json_string(quoted, value);
      add(a.name, quoted, value);
    } else if (a.unit == Unit::choice) {
      std::string value = format_attr_value(a, attrs[i]);
      std::string quoted;
      append_json_string(quoted, value);
      add(a.name, quoted, value);
    } else {
      std::snprintf(buf, sizeof buf, "%.15g", attrs[i]);
      add(a.name, buf, format_attr_value(a, attrs[i]));
    }
  }
  if (spec.type->on_stream() || spec.type->kind == ToxicKind::request) {
    std::snprintf(buf, sizeof buf, "%.15g", toxicity);
    add("toxicity", buf, buf);
  }
  *json += '}';
}

Session::Session(Scenario scenario, RunOptions options)
    : scenario_(std::move(scenario)),
      options_(std::move(options)),
      output_(STDOUT_FILENO),
      events_(output_, options_.format) {
  seed_ = options_.seed ? *options_.seed : scenario_.seed ? *scenario_.seed : random_seed();
  duration_ = options_.duration ? *options_.duration : scenario_.duration;
  if (options_.api.empty()) options_.api = scenario_.api;
  scenario_.duration = duration_;  // the timeline drops windows past it
  uv_loop_init(&loop_);
  events_.set_clock([this] { return now(); });
  events_.set_quiet(options_.quiet);
}

Session::~Session() {
  // Every handle was closed by finish(); this only reclaims the loop.
  uv_run(&loop_, UV_RUN_DEFAULT);
  // libuv's discipline: every handle closes itself, so the loop closes. A
  // handle left open is a bug; name it rather than leak it quietly.
  if (uv_loop_close(&loop_) != 0) {
    std::fprintf(stderr, "jinx: internal error: libuv handles left open at exit:\n");
    uv_print_all_handles(&loop_, stderr);
    std::abort();
  }
}

void Session::fail(const std::string& message) {
  std::fprintf(stderr, "jinx: error: %s\n", message.c_str());
  Event(events_, "error").str("message", message);
}

namespace {

// Raises the soft limit on open files to the hard one (a relay needs two per
// connection) and returns it.
uint64_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur;
}

// File descriptors kept free for listeners, the event output, the resolver
// and a wrapped command.
constexpr uint64_t kReservedFds = 32;

// Descriptors left for connections (two each) under a limit of `limit`.
uint64_t connection_fds(uint64_t limit) {
  return limit > kReservedFds ? limit - kReservedFds : 0;
}

}  // namespace

void Session::connection_opened() {
  ++open_connections_;
  // Each connection holds two descriptors. Near the limit, stop accepting
  // rather than accept and drop: clients see a refusal, jinx stays calm.
  if (!accept_paused_ && 2 * open_connections_ >= connection_fds(fd_limit_)) {
    accept_paused_ = true;
    Event(events_, "warning")
        .str("message", "accepting paused: " + std::to_string(open_connections_) +
                            " connections open, near the limit of " + std::to_string(fd_limit_) +
                            " file descriptors (ulimit -n)");
    for (auto& proxy : proxies_) proxy->pause_accepting();
  }
}

void Session::connection_closed() {
  --open_connections_;
  // Resume once connections use half of their share again, or none at all:
  // under a small limit (ulimit -n 40 leaves 8) a fixed fraction of the whole
  // limit could never be reached.
  uint64_t used = 2 * open_connections_;
  if (accept_paused_ && !ending_ && (used == 0 || 2 * used <= connection_fds(fd_limit_))) {
    accept_paused_ = false;
    Event(events_, "warning")
        .str("message",
             "accepting resumed: " + std::to_string(open_connections_) + " connections open");
    for (auto& proxy : proxies_) proxy->resume_accepting();
  }
  if (ending_ && open_connections_ == 0) {
    maybe_finish();
    return;
  }
  if (open_connections_ == 0 && !ending_ &&
      uv_is_active(reinterpret_cast<uv_handle_t*>(&trim_timer_)) == 0) {
    // Quiet again after traffic: a second later, if still quiet, give the
    // memory that held data back to the system (a game day's burst should
    // not leave jinx big for the rest of the session).
    uv_timer_start(
        &trim_timer_,
        [](uv_timer_t* t) {
          auto* self = static_cast<Session*>(t->data);
          if (self->open_connections_ != 0) return;
          Block::trim_pool();
          malloc_trim(0);
        },
        1000, 0);
  }
}

void Session::count_flow(const FlowTotals& totals) {
  flow_totals_.add(totals);
  closed_bytes_up_ += totals.bytes_up;
  closed_bytes_down_ += totals.bytes_down;
}

int Session::run() {
  fd_limit_ = raise_fd_limit();
  uv_update_time(&loop_);
  started_at_ = now();
  t0_ = started_at_ + options_.start_delay;
  events_.set_time_zero(t0_);
  start_loop_handles();
  {
    Event e(events_, "session_start");
    e.str("name", scenario_.name).num("seed", seed_);
    if (duration_) {
      e.num("duration", static_cast<double>(*duration_) / kMicrosPerSecond, 3);
    } else {
      e.null("duration");
    }
    e.str("version", JINX_VERSION);
  }
  if (!start_proxies() || !start_command()) {
    end(EndReason::error, exit_code_ != 0 ? exit_code_ : 1);
  } else {
    start_timeline();
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  drain_events();
  return exit_code_;
}

void Session::start_loop_handles() {
  output_.start(&loop_, this);
  signals_.start(&loop_, [this](int signum) { on_signal(signum); });
  uv_prepare_init(&loop_, &flush_);
  flush_.data = this;
  // Before the loop waits: write queued events, redraw the status line.
  uv_prepare_start(&flush_, [](uv_prepare_t* p) {
    auto* self = static_cast<Session*>(p->data);
    bool events = self->events_.pending();
    // Events may share the terminal: take the status line away while they
    // are written, then draw it again below them.
    if (events && self->status_) self->status_->clear();
    self->events_.flush();
    if (self->status_) self->status_->maybe_draw();  // within 100 ms if not now
  });
  uv_timer_init(&loop_, &end_timer_);
  uv_timer_init(&loop_, &trim_timer_);
  trim_timer_.data = this;
  end_timer_.data = this;
  timeline_ = std::make_unique<Timeline>(&loop_, scenario_, seed_, *this);
}

void Session::start_timeline() {
  if (options_.progress) status_ = StatusLine::create(*this, *timeline_, proxies_, t0_, duration_);
  // The timeline and the duration both count from t0 (--start-at).
  timeline_->start(t0_);
  if (duration_) {
    Micros wait = t0_ + *duration_ - now();
    uv_timer_start(
        &end_timer_,
        [](uv_timer_t* t) { static_cast<Session*>(t->data)->end(EndReason::duration, 0); },
        static_cast<uint64_t>(std::max<Micros>(0, wait) / kMicrosPerMs), 0);
  }
}

// After the loop: the last events go out, within SPEC 6's 2 seconds of the
// end whatever the reader does. A signal meanwhile still exits at once.
void Session::drain_events() {
  constexpr uint64_t kDrainMs = 1000;
  uint64_t deadline = std::max(ending_at_ms_ + kDrainMs, monotonic_ms() + 100);
  bool written = output_.drain(deadline, signals_.fd());
  if (int signum = signals_.take()) _exit(128 + signum);
  // Found only now, after the session's end: the exit code still tells.
  if (output_.error() != 0 && output_error_ == 0) output_failed(output_.error());
  if (output_.dropped() > 0) {
    std::fprintf(stderr, "jinx: %llu events dropped: stdout's reader did not keep up\n",
                 static_cast<unsigned long long>(output_.dropped()));
  }
  if (!written && output_.error() == 0) {
    std::fprintf(stderr, "jinx: the last events were not written: stdout's reader did not read\n");
  }
}

void Session::output_failed(int error) {
  output_error_ = error;
  // A reader that went away (`| head -1`) ends the session as SIGPIPE would,
  // quietly; any other write error is a runtime failure.
  bool reader_gone = error == UV_EPIPE;
  if (!reader_gone) {
    std::fprintf(stderr, "jinx: error: cannot write events to stdout: %s\n", std::strerror(-error));
  }
  int code = reader_gone ? 128 + SIGPIPE : 1;
  if (ending_) {
    if (exit_code_ == 0) exit_code_ = code;
    return;
  }
  end(reader_gone ? EndReason::signal : EndReason::error, code);
}

void Session::output_dropped(uint64_t lines) {
  Event(events_, "warning")
      .str("message", std::to_string(lines) +
                          " events dropped: stdout's reader did not keep up (relaying went on)")
      .num("dropped", lines);
}

bool Session::start_proxies() {
  std::string timers_err;
  if (!timers_.open(&loop_, &timers_err)) {
    fail(timers_err);
    return false;
  }
  std::string resolver_err;
  resolver_ = Resolver::create(&loop_, &resolver_err);
  if (!resolver_) {
    fail(resolver_err);
    return false;
  }
  for (size_t i = 0; i < scenario_.proxies.size(); ++i) {
    proxies_.push_back(std::make_unique<Proxy>(*this, scenario_.proxies[i]));
    removed_.push_back(false);
  }
  for (auto& proxy : proxies_) {
    std::string err;
    if (!proxy->listen(&err)) {
      fail(err);
      return false;
    }
  }
  for (size_t i = 0; i < proxies_.size(); ++i) announce_proxy(i);
  return start_api() && populate_from_file();
}

void Session::announce_proxy(size_t index) {
  const Proxy& proxy = *proxies_[index];
  const ProxySpec& spec = proxy.spec();
  Event(events_, "proxy_listen")
      .str("proxy", spec.name)
      .str("listen", proxy.bound_address())
      .str("upstream", join_host_port(spec.upstream_host, spec.upstream_port))
      .str("source", source_);
  if (!proxy.listens_on_loopback_only()) {
    Event(events_, "warning")
        .str("message", "proxy '" + spec.name + "' listens on " + proxy.bound_address() +
                            ", which is not a loopback address: anyone who can reach it is "
                            "relayed to " +
                            join_host_port(spec.upstream_host, spec.upstream_port));
  }
}

bool Session::start_command() {
  if (options_.command.empty()) return true;
  std::vector<std::pair<std::string, std::string>> env;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (removed_[i]) continue;
    auto vars = proxy_environment(proxies_[i]->spec().name, proxies_[i]->bound_address());
    env.insert(env.end(), vars.begin(), vars.end());
  }
  if (api_server_) {
    // What Toxiproxy's clients and its CLI read, and jinx's own name for it.
    env.emplace_back("TOXIPROXY_URL", "http://" + api_server_->bound_address());
    env.emplace_back("JINX_API", api_server_->bound_address());
  }
  events_.flush();  // our lines come before anything the command prints
  int rc = command_.start(&loop_, options_.command, env, [this](int64_t status, int term_signal) {
    on_command_exit(status, term_signal);
  });
  if (rc != 0) {
    fail("cannot run '" + options_.command[0] + "': " + uv_strerror(rc));
    exit_code_ = rc == UV_ENOENT ? 127 : 126;  // as env(1) and timeout(1) do
    return false;
  }
  Event e(events_, "command_start");
  e.num("pid", static_cast<int64_t>(command_.pid()));
  e.strings("argv", options_.command.data(), options_.command.data() + options_.command.size());
  return true;
}

void Session::on_command_exit(int64_t status, int term_signal) {
  {
    Event e(events_, "command_exit");
    e.num("pid", static_cast<int64_t>(command_.pid()));
    if (term_signal != 0) {
      e.null("status").str("signal", sigabbrev_np(term_signal) != nullptr
                                         ? std::string("SIG") + sigabbrev_np(term_signal)
                                         : std::to_string(term_signal));
    } else {
      e.num("status", status).null("signal");
    }
  }
  int code = term_signal != 0 ? 128 + term_signal : static_cast<int>(status);
  if (ending_) {
    maybe_finish();
  } else {
    end(EndReason::command, code);
  }
}

void Session::on_signal(int signum) {
  if (ending_) {
    // A second signal during shutdown: leave now, with what can be written
    // without waiting.
    command_.kill_now();
    output_.drain(monotonic_ms(), -1);
    _exit(128 + signum);
  }
  end(EndReason::signal, 128 + signum);
}

void Session::end(EndReason reason, int exit_code) {
  if (ending_) return;
  ending_ = true;
  ending_at_ms_ = monotonic_ms();
  end_reason_ = reason;
  exit_code_ = exit_code;
  uv_timer_stop(&end_timer_);
  // Stopping the timeline and closing connections may close the last
  // connection from inside this function; finishing then would close
  // handles this function is still about to close itself.
  stopping_ = true;
  timeline_->stop();
  if (api_server_) api_server_->close();
  for (auto& proxy : proxies_) proxy->close_listener();
  for (auto& proxy : proxies_) proxy->close_connections(CloseReason::shutdown);
  // Lookups still running end now: the loop must not wait for a DNS server.
  if (resolver_) resolver_->shutdown();
  stopping_ = false;
  // The command's group gets SIGTERM (what the command left behind too, if
  // it already exited); while the command runs, its exit ends us.
  command_.terminate();
  maybe_finish();
}

bool Session::has_udp_proxy() const {
  return std::any_of(scenario_.proxies.begin(), scenario_.proxies.end(),
                     [](const ProxySpec& p) { return p.protocol == ProxyProtocol::udp; });
}

void Session::maybe_finish() {
  // Connections wind down for at most Connection::kLingerMs, well inside
  // SPEC 6's two seconds.
  if (!stopping_ && !command_.running() && open_connections_ == 0) finish();
}

void Session::finish() {
  if (finished_) return;
  finished_ = true;
  static const char* reasons[] = {"duration", "signal", "command", "error"};
  {
    Event e(events_, "session_end");
    e.str("reason", reasons[static_cast<int>(end_reason_)])
        .num("exit_code", static_cast<int64_t>(exit_code_))
        .num("connections", connections_)
        .num("bytes_up", closed_bytes_up_)
        .num("bytes_down", closed_bytes_down_)
        .num("elapsed", static_cast<double>(now() - started_at_) / kMicrosPerSecond, 3)
        .num("events_dropped", output_.dropped());
    if (has_udp_proxy()) {
      // SPEC 12: the datagram counts, only where there are flows to count.
      e.num("flows", flows_)
          .num("datagrams_up", flow_totals_.datagrams_up)
          .num("datagrams_down", flow_totals_.datagrams_down)
          .num("dropped", flow_totals_.dropped)
          .num("duplicated", flow_totals_.duplicated)
          .num("reordered", flow_totals_.reordered)
          .num("corrupted", flow_totals_.corrupted);
    }
  }
  if (status_) status_->finish();
  if (options_.format == EventFormat::text) {
    // A closing summary for people (text mode's stdout is for people).
    char summary[256];
    std::snprintf(
        summary, sizeof summary,
        "\njinx: session ended (%s) after %.1fs: %llu connections, %s up, %s down, exit %d\n",
        reasons[static_cast<int>(end_reason_)],
        static_cast<double>(now() - started_at_) / kMicrosPerSecond,
        static_cast<unsigned long long>(connections_), human_bytes(closed_bytes_up_).c_str(),
        human_bytes(closed_bytes_down_).c_str(), exit_code_);
    events_.write_text(summary);
    for (const auto& proxy : proxies_) {
      if (proxy->spec().protocol != ProxyProtocol::http) continue;
      // Requests by status class, per HTTP proxy.
      static const char* classes[] = {"no answer", "1xx", "2xx", "3xx", "4xx", "5xx"};
      std::string line = "jinx: proxy " + proxy->spec().name + ":";
      uint64_t total = 0;
      for (size_t c = 1; c <= 6; ++c) {
        uint64_t n = proxy->http_statuses()[c % 6];
        total += n;
        if (n > 0) line += " " + std::to_string(n) + " " + classes[c % 6] + ",";
      }
      line.back() = total == 0 ? ':' : '.';
      events_.write_text(line + (total == 0 ? " no requests" : "") + "\n");
    }
  }
  events_.flush();
  // Close whatever is still open so the loop ends.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (uv_is_closing(h) == 0) uv_close(h, nullptr);
      },
      nullptr);
}

void Session::window_open(size_t toxic, const Window& w, const std::vector<double>& attrs,
                          double toxicity) {
  const ToxicSpec& spec = toxic_spec(toxic);
  open_toxics_[toxic] = OpenToxic{w.index, attrs, toxicity};
  emit_toxic_on(toxic, w.index, attrs, toxicity);
  proxies_[spec.proxy]->toxic_on(spec, ToxicIndex(toxic), w.index, attrs, toxicity);
}

void Session::emit_toxic_on(size_t toxic, uint64_t window, const std::vector<double>& attrs,
                            double toxicity) {
  const ToxicSpec& spec = toxic_spec(toxic);
  std::string json;
  std::string text;
  attributes_object(spec, attrs, toxicity, &json, &text);
  Event e(events_, "toxic_on");
  e.str("toxic", spec.name)
      .str("proxy", proxies_[spec.proxy]->spec().name)
      .str("type", spec.type->name);
  if (spec.type->on_stream()) {
    e.str("stream", stream_name(spec.stream));
  } else {
    e.null("stream");
  }
  e.num("window", window).object("attributes", json, text).str("source", source_);
}

void Session::window_update(size_t toxic, const Window& w, const std::vector<double>& attrs,
                            double toxicity) {
  update_open_toxic(toxic, w.index, attrs, toxicity);
}

// A timeline ramp step or an API update: one toxic_update event, new values
// for the toxic's stages.
void Session::update_open_toxic(size_t toxic, uint64_t window, const std::vector<double>& attrs,
                                double toxicity) {
  const ToxicSpec& spec = toxic_spec(toxic);
  open_toxics_[toxic] = OpenToxic{window, attrs, toxicity};
  std::string json;
  std::string text;
  attributes_object(spec, attrs, toxicity, &json, &text);
  Event(events_, "toxic_update")
      .str("toxic", spec.name)
      .str("proxy", proxies_[spec.proxy]->spec().name)
      .num("window", window)
      .object("attributes", json, text)
      .str("source", source_);
  proxies_[spec.proxy]->toxic_update(ToxicIndex(toxic), attrs, toxicity);
}

void Session::window_close(size_t toxic, const Window& w) {
  const ToxicSpec& spec = toxic_spec(toxic);
  open_toxics_.erase(toxic);
  Event(events_, "toxic_off")
      .str("toxic", spec.name)
      .str("proxy", proxies_[spec.proxy]->spec().name)
      .num("window", w.index)
      .str("source", source_);
  proxies_[spec.proxy]->toxic_off(ToxicIndex(toxic));
}

}  // namespace jinx
