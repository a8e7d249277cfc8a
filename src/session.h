// A chaos session (SPEC 1, 6-8): binds every proxy, optionally starts the
// wrapped command, plays the timeline, and ends at the first of: the
// scenario's duration, SIGINT/SIGTERM, the command's exit. Owns the loop.
#pragma once

#include <uv.h>

#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_routes.h"
#include "api_server.h"
#include "event_log.h"
#include "event_output.h"
#include "loop_clock.h"
#include "loop_timers.h"
#include "proxy.h"
#include "relay_context.h"
#include "resolver.h"
#include "scenario.h"
#include "signal_watcher.h"
#include "timeline.h"
#include "wrapped_command.h"

namespace jinx {

class StatusLine;

struct RunOptions {
  EventFormat format = EventFormat::json;
  std::optional<uint64_t> seed;                   // --seed
  std::optional<std::optional<Micros>> duration;  // --duration (nullopt inside: until stopped)
  Micros start_delay = 0;                         // --start-at, as a delay from now
  bool quiet = false;
  bool progress = true;              // --no-progress turns it off
  std::vector<std::string> command;  // after --
  std::string api;                   // --api HOST:PORT (or the scenario's `api`)
  std::string populate;              // --populate FILE: Toxiproxy's JSON config
};

enum class EndReason { duration, signal, command, error };

class Session final : public TimelineHooks,
                      public RelayContext,
                      public EventOutputOwner,
                      public ApiControl {
 public:
  Session(Scenario scenario, RunOptions options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Runs to the end; returns the exit code.
  int run();

  // RelayContext, for proxies and connections.
  uv_loop_t* loop() override { return &loop_; }
  Micros now() const override { return loop_clock_now(); }
  EventLog& events() override { return events_; }
  uint64_t seed() const override { return seed_; }
  // The scenario's toxics first, then those the control API made.
  const ToxicSpec& toxic_spec(ToxicIndex toxic) const override {
    size_t n = scenario_.toxics.size();
    return toxic.value < n ? scenario_.toxics[toxic.value] : api_toxics_[toxic.value - n];
  }
  bool ending() const override { return ending_; }
  Resolver& resolver() override { return *resolver_; }
  LoopTimers& timers() override { return timers_; }
  uint64_t next_connection_id() override { return ++connections_; }
  void connection_opened() override;
  void connection_closed() override;
  void count_closed(uint64_t up, uint64_t down) override {
    closed_bytes_up_ += up;
    closed_bytes_down_ += down;
  }
  uint64_t next_flow_id() override { return ++flows_; }
  void count_flow(const FlowTotals& totals) override;
  // What the flows that ended carried (and datagrams dropped without a flow).
  const FlowTotals& flow_totals() const { return flow_totals_; }

  const Scenario& scenario() const { return scenario_; }
  uint64_t closed_bytes_up() const { return closed_bytes_up_; }
  uint64_t closed_bytes_down() const { return closed_bytes_down_; }

  // TimelineHooks
  void window_open(size_t toxic, const Window& w, const std::vector<double>& attrs,
                   double toxicity) override;
  void window_update(size_t toxic, const Window& w, const std::vector<double>& attrs,
                     double toxicity) override;
  void window_close(size_t toxic, const Window& w) override;

  // EventOutputOwner
  void output_failed(int error) override;
  void output_dropped(uint64_t lines) override;

  // ApiControl (session_api*.cc, session_metrics.cc): Toxiproxy's operations on this session.
  ApiResponse list_proxies() override;
  ApiResponse create_proxy(const std::string& body) override;
  ApiResponse populate(const std::string& body) override;
  ApiResponse show_proxy(const std::string& proxy) override;
  ApiResponse update_proxy(const std::string& proxy, const std::string& body) override;
  ApiResponse delete_proxy(const std::string& proxy) override;
  ApiResponse list_toxics(const std::string& proxy) override;
  ApiResponse create_toxic(const std::string& proxy, const std::string& body) override;
  ApiResponse show_toxic(const std::string& proxy, const std::string& toxic) override;
  ApiResponse update_toxic(const std::string& proxy, const std::string& toxic,
                           const std::string& body) override;
  ApiResponse delete_toxic(const std::string& proxy, const std::string& toxic) override;
  ApiResponse reset() override;
  ApiResponse version() override;
  ApiResponse metrics() override;

 private:
  bool start_proxies();
  bool start_command();
  void end(EndReason reason, int exit_code);
  void finish();
  // finish() once nothing holds the session open: the command has exited
  // and every connection has finished closing.
  void maybe_finish();
  void on_signal(int signum);
  void on_command_exit(int64_t status, int term_signal);
  void fail(const std::string& message);
  void start_loop_handles();
  void start_timeline();
  void drain_events();
  bool has_udp_proxy() const;

  // A toxic whose window is open (timeline) or that the API added: what
  // GET .../toxics shows, with its current values.
  struct OpenToxic {
    uint64_t window = 0;
    std::vector<double> attrs;
    double toxicity = 1;
  };
  // The control API (session_api.cc, session_api_toxics.cc, session_metrics.cc).
  bool start_api();
  bool populate_from_file();
  void announce_proxy(size_t index);
  int find_proxy(const std::string& name) const;
  int find_open_toxic(size_t proxy, const std::string& name) const;
  nlohmann::ordered_json proxy_json(size_t index) const;
  nlohmann::ordered_json toxics_json(size_t index) const;
  // Adds a proxy (bound when enabled); -1 and *err when it cannot bind.
  int add_proxy(ProxySpec spec, bool enabled, std::string* err);
  void remove_proxy(size_t index);
  void remove_toxic(size_t toxic);
  void update_open_toxic(size_t toxic, uint64_t window, const std::vector<double>& attrs,
                         double toxicity);
  void emit_toxic_on(size_t toxic, uint64_t window, const std::vector<double>& attrs,
                     double toxicity);
  ApiResponse populate_proxies(const nlohmann::json& input);
  bool toxic_name_taken(size_t proxy, const std::string& name) const;
  // An API toxic opens: its window, its toxic_on event, its stages.
  const ToxicSpec& open_api_toxic(ToxicSpec spec, const std::vector<double>& values);
  // The index of an API toxic: the slot it had when a toxic of the same
  // proxy, name, type and stream was added before and is off now, else a
  // new one. Connections remember every index that acted on them (for
  // conn_close) and look stages up by it, so a new index per add made each
  // add/remove cycle cost more on every open connection than the last.
  size_t api_toxic_slot(ToxicSpec spec);
  std::unique_ptr<ApiServer> api_server_;
  std::unique_ptr<ApiRoutes> api_routes_;
  std::deque<ProxySpec> api_proxy_specs_;  // stable: proxies point at them
  std::deque<ToxicSpec> api_toxics_;       // indexed after scenario_.toxics
  size_t api_toxics_added_ = 0;            // gives each added API toxic its order
  std::vector<bool> removed_;              // per proxies_ entry: deleted via the API
  std::map<size_t, OpenToxic> open_toxics_;
  std::map<std::string, uint64_t> api_windows_;  // times an API toxic of that name was added
  const char* source_ = "timeline";              // "api" while an API request is handled

  Scenario scenario_;
  RunOptions options_;
  uint64_t seed_;
  std::optional<Micros> duration_;
  uv_loop_t loop_;
  SignalWatcher signals_;  // blocks SIGINT and SIGTERM for the process's life
  EventOutput output_;
  EventLog events_;
  LoopTimers timers_;  // before the proxies: their connections' timers leave it first
  std::unique_ptr<Resolver> resolver_;  // names of upstreams, looked up on the loop
  std::vector<std::unique_ptr<Proxy>> proxies_;
  std::unique_ptr<Timeline> timeline_;
  std::unique_ptr<StatusLine> status_;
  uv_timer_t end_timer_;
  uv_timer_t trim_timer_;  // returns memory once no connection is open
  uv_prepare_t flush_;
  WrappedCommand command_;
  Micros started_at_ = 0;
  uint64_t ending_at_ms_ = 0;  // monotonic_ms() when the session began to end
  Micros t0_ = 0;
  uint64_t connections_ = 0;
  uint64_t flows_ = 0;
  FlowTotals flow_totals_;
  uint64_t closed_bytes_up_ = 0;
  uint64_t closed_bytes_down_ = 0;
  uint64_t open_connections_ = 0;
  uint64_t fd_limit_ = 0;
  bool accept_paused_ = false;
  bool ending_ = false;
  bool stopping_ = false;  // inside end(): finish() waits for it to return
  bool finished_ = false;
  EndReason end_reason_ = EndReason::duration;
  int exit_code_ = 0;
  int output_error_ = 0;  // the stdout write error already reported, if any
};

// A toxic's resolved attributes as the `attributes` object of an event.
void attributes_object(const ToxicSpec& spec, const std::vector<double>& attrs, double toxicity,
                       std::string* json, std::string* text);

}  // namespace jinx
