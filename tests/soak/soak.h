// The soak run: jinx with a generated scenario that toggles every toxic type
// every second, --connections client connections kept busy through it, and
// the checks of issue 6 item 3 at the end. See soak_main.cc for the usage.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "jinx_child.h"
#include "loop.h"
#include "pattern.h"
#include "scenario.h"
#include "traffic.h"

namespace soak {

struct Options {
  double duration_s = 30;
  int connections = 200;
  int proxies = 4;
  uint64_t seed = 1;
  std::string jinx;                // the binary under test
  double rss_tolerance = 0.5;      // end RSS may exceed post-warm-up RSS by this fraction...
  long rss_slack_kib = 16 * 1024;  // ...plus this much
  double stuck_after_s = 30;       // a client with no progress for this long is stuck
  bool verbose = false;
  bool print_scenario = false;
};

class Soak {
 public:
  explicit Soak(Options opts);
  ~Soak();
  // Runs everything and prints the report; the exit code (0 = every check held).
  int run();

 private:
  struct Sample {
    double t;  // seconds since the timeline started
    ProcSample proc;
  };

  // Phases, in order.
  void start_servers();
  void start_jinx();
  void warm_up();
  void load();
  void drain();
  void stop_jinx();
  int report();

  // Runs the loop until done() or the deadline; false on timeout.
  template <typename Done>
  bool run_until(Done done, Clock::time_point deadline);

  // Clients.
  void spawn(int slot);
  Client* new_client(int slot, Request req);
  void on_client_done(Client& c);
  void try_finalize(Client& c);
  void classify(Client& c);
  void watchdog();

  // jinx's events.
  void on_event(const json& e);
  void on_conn_open(const json& e);
  void on_conn_close(const json& e);

  void sample();
  void violation(const std::string& what);
  double since_t0() const;

  Options opts_;
  Pattern pattern_;
  Loop loop_;
  ScenarioPlan plan_;
  std::vector<std::unique_ptr<jinx_test::EpollServer>> servers_;
  std::unique_ptr<JinxChild> jinx_;
  std::string scenario_dir_;
  std::vector<std::string> listen_;                // proxy i's bound address
  std::map<std::string, std::string> toxic_type_;  // toxic name -> type

  Clock::time_point t0_{};  // the timeline's t = 0, on our clock
  bool t0_known_ = false;
  bool loading_ = false;
  Clock::time_point load_end_{};
  uint64_t next_client_ = 1;
  int active_ = 0;                                   // clients with an open socket
  std::unordered_map<uint32_t, Client*> by_ip_;      // every client not yet classified
  std::unordered_map<int64_t, Client*> open_conns_;  // conn_open seen, conn_close not yet

  // Figures.
  uint64_t clients_ = 0, refused_ = 0, connect_errors_ = 0;
  uint64_t intact_ = 0, cut_ = 0, corrupted_ = 0, never_accepted_ = 0, stuck_ = 0;
  uint64_t bytes_sent_ = 0, bytes_received_ = 0;
  uint64_t conn_opens_ = 0, conn_closes_ = 0, conn_upstreams_ = 0;
  std::map<std::string, uint64_t> close_reasons_;
  std::map<std::string, uint64_t> connect_error_names_;
  std::map<std::string, uint64_t> toxic_on_, toxic_off_;  // by type
  uint64_t windows_open_ = 0;
  uint64_t warnings_ = 0;
  std::vector<std::string> warning_texts_;
  std::optional<json> session_end_;
  std::vector<std::string> violations_;
  uint64_t violation_count_ = 0;

  std::vector<Sample> samples_;
  Clock::time_point next_sample_{}, next_watch_{}, next_progress_{};
  ProcSample at_start_{}, after_warm_up_{}, at_end_{};
  double cpu_load_start_ = 0, cpu_load_end_ = 0;
  std::optional<int> exit_status_;
};

}  // namespace soak
