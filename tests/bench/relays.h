// relays.h — the things being compared: a direct connection, jinx, socat
// and haproxy, behind one small interface.
//
// A Relay is started fresh for each group of measurements, in front of the
// bench's upstream server, and stopped afterwards; so its peak RSS covers
// exactly the measurements of that group and a crash in one group does not
// poison the next.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process.h"

namespace bench {

// Where the bench writes generated configs and relay logs.
struct Workdir {
  std::string path;  // created by make_workdir(), removed by remove_workdir()
};
bool make_workdir(Workdir* w, std::string* err);
void remove_workdir(const Workdir& w);

class Relay {
 public:
  virtual ~Relay() = default;
  const std::string& label() const { return label_; }

  // "" if the relay can run here, else why not (binary missing).
  virtual std::string unavailable() const { return ""; }
  // Listens on a free port and relays to 127.0.0.1:upstream_port.
  virtual bool start(uint16_t upstream_port, std::string* err) = 0;
  virtual void stop() {}
  // The port clients connect to.
  uint16_t port() const { return port_; }
  // The relay process (0 for a direct connection: nothing to measure).
  virtual pid_t pid() const { return 0; }
  // Whether it forks per connection, so memory is PSS summed over its tree.
  virtual bool forks() const { return false; }
  // A one-line description for the report header.
  virtual std::string describe() const = 0;
  // "" while the relay process runs (or there is none); else how it ended.
  virtual std::string exit_reason() { return ""; }

 protected:
  explicit Relay(std::string label) : label_(std::move(label)) {}
  std::string label_;
  uint16_t port_ = 0;
};

// The upstream itself: the baseline every ratio is taken against.
std::unique_ptr<Relay> make_direct();

// `jinx run --quiet SCENARIO`, with one proxy "bench", the given extra
// TOML after it (e.g. [[toxic]] tables) and top-level keys before it (e.g.
// seed = 7). label names the variant in the report.
class JinxRelay;
std::unique_ptr<JinxRelay> make_jinx(const std::string& binary, const Workdir& dir,
                                     const std::string& label, const std::string& extra_toml,
                                     const std::string& top_toml = "");

// socat TCP-LISTEN:P,fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:UPSTREAM
std::unique_ptr<Relay> make_socat(const Workdir& dir);

// haproxy -f CFG -db: mode tcp, nbthread 1 (to match a single-loop relay),
// maxconn as given (haproxy refuses to start if 2 x maxconn descriptors do
// not fit in RLIMIT_NOFILE).
std::unique_ptr<Relay> make_haproxy(const Workdir& dir, int maxconn);

// jinx, with access to its event stream: the fidelity checks time toxics
// from the toxic_on / toxic_off events.
class JinxRelay : public Relay {
 public:
  struct Event {
    double at;         // bench::now_s() when the line was read
    std::string line;  // the JSON line as printed
  };
  JinxRelay(std::string binary, Workdir dir, std::string label, std::string extra_toml,
            std::string top_toml);
  ~JinxRelay() override { stop(); }
  std::string unavailable() const override;
  bool start(uint16_t upstream_port, std::string* err) override;
  void stop() override;
  pid_t pid() const override { return child_.pid(); }
  std::string exit_reason() override { return child_.exit_reason(); }
  std::string describe() const override;

  // Every event line so far (thread-safe copy).
  std::vector<Event> events();
  // Waits up to timeout_s for an event line containing `needle`; its time, or -1.
  double wait_event(const std::string& needle, double timeout_s);

 private:
  void read_events();

  std::string binary_, extra_toml_, top_toml_;
  Workdir dir_;
  Child child_;
  std::thread reader_;
  std::mutex mu_;
  std::vector<Event> events_;
};

}  // namespace bench
