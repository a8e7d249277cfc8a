#include "session.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>

#include "address.h"
#include "chunk.h"
#include "connection.h"
#include "random.h"
#include "status_line.h"

extern char** environ;

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
    if (a.unit == Unit::choice) {
      std::string value = format_attr_value(a, attrs[i]);
      std::string quoted;
      append_json_string(quoted, value);
      add(a.name, quoted, value);
    } else {
      std::snprintf(buf, sizeof buf, "%.15g", attrs[i]);
      add(a.name, buf, format_attr_value(a, attrs[i]));
    }
  }
  if (spec.type->scope == ToxicScope::stream) {
    std::snprintf(buf, sizeof buf, "%.15g", toxicity);
    add("toxicity", buf, buf);
  }
  *json += '}';
}

Session::Session(Scenario scenario, RunOptions options)
    : scenario_(std::move(scenario)),
      options_(std::move(options)),
      events_(stdout, options_.format) {
  seed_ = options_.seed ? *options_.seed : scenario_.seed ? *scenario_.seed : random_seed();
  duration_ = options_.duration ? *options_.duration : scenario_.duration;
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

int Session::run() {
  fd_limit_ = raise_fd_limit();
  uv_update_time(&loop_);
  started_at_ = now();
  t0_ = started_at_ + options_.start_delay;
  events_.set_time_zero(t0_);

  uv_prepare_init(&loop_, &flush_);
  flush_.data = this;
  // Before the loop waits: write buffered events, redraw the status line.
  uv_prepare_start(&flush_, [](uv_prepare_t* p) {
    auto* self = static_cast<Session*>(p->data);
    bool events = self->events_.pending();
    // Events may share the terminal: take the status line away while they
    // are written, then draw it again below them.
    if (events && self->status_) self->status_->clear();
    self->events_.flush();
    if (self->status_) self->status_->maybe_draw();  // within 100 ms if not now
  });
  uv_signal_init(&loop_, &sigint_);
  uv_signal_init(&loop_, &sigterm_);
  sigint_.data = sigterm_.data = this;
  auto on_signal = [](uv_signal_t* s, int signum) {
    static_cast<Session*>(s->data)->on_signal(signum);
  };
  uv_signal_start(&sigint_, on_signal, SIGINT);
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_timer_init(&loop_, &end_timer_);
  uv_timer_init(&loop_, &kill_timer_);
  uv_timer_init(&loop_, &trim_timer_);
  trim_timer_.data = this;
  end_timer_.data = kill_timer_.data = this;
  timeline_ = std::make_unique<Timeline>(&loop_, scenario_, seed_, *this);

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
    if (options_.progress)
      status_ = StatusLine::create(*this, *timeline_, proxies_, t0_, duration_);
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
  uv_run(&loop_, UV_RUN_DEFAULT);
  events_.flush();
  return exit_code_;
}

bool Session::start_proxies() {
  std::string resolver_err;
  resolver_ = Resolver::create(&loop_, &resolver_err);
  if (!resolver_) {
    fail(resolver_err);
    return false;
  }
  for (size_t i = 0; i < scenario_.proxies.size(); ++i) {
    proxies_.push_back(std::make_unique<Proxy>(*this, scenario_.proxies[i]));
  }
  for (auto& proxy : proxies_) {
    std::string err;
    if (!proxy->listen(&err)) {
      fail(err);
      return false;
    }
  }
  for (auto& proxy : proxies_) {
    const ProxySpec& spec = proxy->spec();
    Event(events_, "proxy_listen")
        .str("proxy", spec.name)
        .str("listen", proxy->bound_address())
        .str("upstream", join_host_port(spec.upstream_host, spec.upstream_port));
    if (!proxy->listens_on_loopback_only()) {
      Event(events_, "warning")
          .str("message", "proxy '" + spec.name + "' listens on " + proxy->bound_address() +
                              ", which is not a loopback address: anyone who can reach it is "
                              "relayed to " +
                              join_host_port(spec.upstream_host, spec.upstream_port));
    }
  }
  return true;
}

bool Session::start_command() {
  if (options_.command.empty()) return true;
  // The environment: ours, plus JINX_<PROXY>=host:port for every proxy.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    bool replaced = false;
    for (auto& proxy : proxies_) {
      std::string prefix = env_name_for_proxy(proxy->spec().name) + "=";
      if (std::strncmp(*e, prefix.c_str(), prefix.size()) == 0) replaced = true;
    }
    if (!replaced) env_strings.emplace_back(*e);
  }
  for (auto& proxy : proxies_) {
    env_strings.push_back(env_name_for_proxy(proxy->spec().name) + "=" + proxy->bound_address());
  }
  std::vector<char*> env;
  for (auto& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : options_.command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // stdout carries events only: the command's stdout goes to our stderr.
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_INHERIT_FD;
  stdio[0].data.fd = 0;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 2;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t opts{};
  opts.file = args[0];
  opts.args = args.data();
  opts.env = env.data();
  opts.stdio = stdio;
  opts.stdio_count = 3;
  opts.exit_cb = [](uv_process_t* p, int64_t status, int term_signal) {
    static_cast<Session*>(p->data)->on_command_exit(status, term_signal);
  };
  child_.data = this;
  events_.flush();  // our lines come before anything the command prints
  int rc = uv_spawn(&loop_, &child_, &opts);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&child_), nullptr);
    fail("cannot run '" + options_.command[0] + "': " + uv_strerror(rc));
    exit_code_ = rc == UV_ENOENT ? 127 : 126;  // as env(1) and timeout(1) do
    return false;
  }
  child_running_ = true;
  Event e(events_, "command_start");
  e.num("pid", static_cast<int64_t>(child_.pid));
  e.strings("argv", options_.command.data(), options_.command.data() + options_.command.size());
  return true;
}

void Session::on_command_exit(int64_t status, int term_signal) {
  child_running_ = false;
  {
    Event e(events_, "command_exit");
    e.num("pid", static_cast<int64_t>(child_.pid));
    if (term_signal != 0) {
      e.null("status").str("signal", sigabbrev_np(term_signal) != nullptr
                                         ? std::string("SIG") + sigabbrev_np(term_signal)
                                         : std::to_string(term_signal));
    } else {
      e.num("status", status).null("signal");
    }
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&child_), nullptr);
  int code = term_signal != 0 ? 128 + term_signal : static_cast<int>(status);
  if (ending_) {
    maybe_finish();
  } else {
    end(EndReason::command, code);
  }
}

void Session::on_signal(int signum) {
  if (ending_) {
    // A second signal during shutdown: leave now.
    events_.flush();
    if (child_running_) kill(child_.pid, SIGKILL);
    _exit(128 + signum);
  }
  end(EndReason::signal, 128 + signum);
}

void Session::end(EndReason reason, int exit_code) {
  if (ending_) return;
  ending_ = true;
  end_reason_ = reason;
  exit_code_ = exit_code;
  uv_timer_stop(&end_timer_);
  // Stopping the timeline and closing connections may close the last
  // connection from inside this function; finishing then would close
  // handles this function is still about to close itself.
  stopping_ = true;
  timeline_->stop();
  for (auto& proxy : proxies_) proxy->close_listener();
  for (auto& proxy : proxies_) proxy->close_connections(CloseReason::shutdown);
  // Lookups still running end now: the loop must not wait for a DNS server.
  if (resolver_) resolver_->shutdown();
  stopping_ = false;
  if (child_running_) {
    // The command gets SIGTERM, then SIGKILL 5 s later; its exit ends us.
    kill(child_.pid, SIGTERM);
    uv_timer_start(
        &kill_timer_,
        [](uv_timer_t* t) {
          auto* self = static_cast<Session*>(t->data);
          if (self->child_running_) kill(self->child_.pid, SIGKILL);
        },
        5000, 0);
    return;
  }
  maybe_finish();
}

void Session::maybe_finish() {
  // Connections wind down for at most Connection::kLingerMs, well inside
  // SPEC 6's two seconds.
  if (!stopping_ && !child_running_ && open_connections_ == 0) finish();
}

void Session::finish() {
  if (finished_) return;
  finished_ = true;
  static const char* reasons[] = {"duration", "signal", "command", "error"};
  Event(events_, "session_end")
      .str("reason", reasons[static_cast<int>(end_reason_)])
      .num("exit_code", static_cast<int64_t>(exit_code_))
      .num("connections", connections_)
      .num("bytes_up", closed_bytes_up_)
      .num("bytes_down", closed_bytes_down_)
      .num("elapsed", static_cast<double>(now() - started_at_) / kMicrosPerSecond, 3);
  events_.flush();
  if (status_) status_->finish();
  if (options_.format == EventFormat::text) {
    // A closing summary for people (text mode's stdout is for people).
    std::printf(
        "\njinx: session ended (%s) after %.1fs: %llu connections, %s up, %s down, exit %d\n",
        reasons[static_cast<int>(end_reason_)],
        static_cast<double>(now() - started_at_) / kMicrosPerSecond,
        static_cast<unsigned long long>(connections_), human_bytes(closed_bytes_up_).c_str(),
        human_bytes(closed_bytes_down_).c_str(), exit_code_);
    std::fflush(stdout);
  }
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
  const ToxicSpec& spec = scenario_.toxics[toxic];
  std::string json;
  std::string text;
  attributes_object(spec, attrs, toxicity, &json, &text);
  {
    Event e(events_, "toxic_on");
    e.str("toxic", spec.name)
        .str("proxy", scenario_.proxies[spec.proxy].name)
        .str("type", spec.type->name);
    if (spec.type->scope == ToxicScope::stream) {
      e.str("stream", stream_name(spec.stream));
    } else {
      e.null("stream");
    }
    e.num("window", w.index).object("attributes", json, text);
  }
  proxies_[spec.proxy]->toxic_on(spec, ToxicIndex(toxic), w.index, attrs, toxicity);
}

void Session::window_update(size_t toxic, const Window& w, const std::vector<double>& attrs,
                            double toxicity) {
  const ToxicSpec& spec = scenario_.toxics[toxic];
  std::string json;
  std::string text;
  attributes_object(spec, attrs, toxicity, &json, &text);
  Event(events_, "toxic_update")
      .str("toxic", spec.name)
      .str("proxy", scenario_.proxies[spec.proxy].name)
      .num("window", w.index)
      .object("attributes", json, text);
  proxies_[spec.proxy]->toxic_update(ToxicIndex(toxic), attrs, toxicity);
}

void Session::window_close(size_t toxic, const Window& w) {
  const ToxicSpec& spec = scenario_.toxics[toxic];
  Event(events_, "toxic_off")
      .str("toxic", spec.name)
      .str("proxy", scenario_.proxies[spec.proxy].name)
      .num("window", w.index);
  proxies_[spec.proxy]->toxic_off(ToxicIndex(toxic));
}

}  // namespace jinx
