// relays.cc — see relays.h.
#include "relays.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "net.h"

namespace bench {

namespace {

constexpr double kStartTimeout = 5.0;  // seconds for a relay to listen

// Every file the bench writes in its work directory.
const std::vector<std::string> kWorkFiles = {"scenario.toml", "jinx.log", "socat.log",
                                             "haproxy.cfg", "haproxy.log"};

bool write_file(const std::string& path, const std::string& text, std::string* err) {
  std::ofstream out(path);
  out << text;
  if (!out) {
    *err = "cannot write " + path;
    return false;
  }
  return true;
}

// Waits until something accepts connections on 127.0.0.1:port, or the child
// exits, or the timeout passes. socat and haproxy print nothing when ready.
bool wait_listening(Child& child, uint16_t port, const std::string& log, std::string* err) {
  double deadline = now_s() + kStartTimeout;
  while (now_s() < deadline) {
    if (!child.running()) {
      *err = "exited at start; its log says:\n" + tail_file(log, 8);
      return false;
    }
    int e = 0;
    int fd = connect_tcp(loopback(port), 0.5, 0.5, &e);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    sleep_s(0.02);
  }
  *err = "not listening after " + std::to_string(kStartTimeout) + " s; its log says:\n" +
         tail_file(log, 8);
  return false;
}

class Direct : public Relay {
 public:
  Direct() : Relay("direct") {}
  bool start(uint16_t upstream_port, std::string*) override {
    port_ = upstream_port;
    return true;
  }
  std::string describe() const override { return "direct: no relay, the baseline of every ratio"; }
};

class Socat : public Relay {
 public:
  explicit Socat(Workdir dir)
      : Relay("socat"), dir_(std::move(dir)), binary_(find_executable("socat")) {}
  std::string unavailable() const override {
    return binary_.empty() ? "socat not found in PATH" : "";
  }
  bool start(uint16_t upstream_port, std::string* err) override {
    port_ = pick_free_port();
    std::string log = dir_.path + "/socat.log";
    std::vector<std::string> argv = {
        binary_,
        "TCP-LISTEN:" + std::to_string(port_) + ",fork,reuseaddr,bind=127.0.0.1,backlog=4096",
        "TCP:127.0.0.1:" + std::to_string(upstream_port)};
    return child_.spawn(argv, log, false, err) && wait_listening(child_, port_, log, err);
  }
  void stop() override { child_.stop(2.0); }
  pid_t pid() const override { return child_.pid(); }
  std::string exit_reason() override { return child_.exit_reason(); }
  bool forks() const override { return true; }
  std::string describe() const override {
    std::string v = output_line({binary_, "-V"}, "socat version");
    v = v.substr(0, v.find(" on "));
    return "socat: " + (v.empty() ? binary_ : v) +
           " (TCP-LISTEN fork: one process per connection; memory is PSS)";
  }

 private:
  Workdir dir_;
  std::string binary_;
  Child child_;
};

class Haproxy : public Relay {
 public:
  Haproxy(Workdir dir, int maxconn)
      : Relay("haproxy"),
        dir_(std::move(dir)),
        binary_(find_executable("haproxy")),
        maxconn_(maxconn) {}
  std::string unavailable() const override { return binary_.empty() ? "haproxy not found" : ""; }
  bool start(uint16_t upstream_port, std::string* err) override {
    port_ = pick_free_port();
    std::string cfg = dir_.path + "/haproxy.cfg", log = dir_.path + "/haproxy.log";
    // One thread, to compare with a single-loop relay; maxconn above the
    // idle connections of the memory test. Long client/server timeouts
    // so idle connections stay open; defaults for everything else (no
    // splicing), haproxy as packaged.
    std::string text =
        "global\n"
        "    maxconn " +
        std::to_string(maxconn_) +
        "\n"
        "    nbthread 1\n"
        "defaults\n"
        "    mode tcp\n"
        "    timeout connect 5s\n"
        "    timeout client 1h\n"
        "    timeout server 1h\n"
        "frontend bench\n"
        "    bind 127.0.0.1:" +
        std::to_string(port_) +
        "\n"
        "    maxconn " +
        std::to_string(maxconn_) +
        "\n"
        "    default_backend upstream\n"
        "backend upstream\n"
        "    server up 127.0.0.1:" +
        std::to_string(upstream_port) + "\n";
    return write_file(cfg, text, err) &&
           child_.spawn({binary_, "-f", cfg, "-db"}, log, false, err) &&
           wait_listening(child_, port_, log, err);
  }
  void stop() override { child_.stop(2.0); }
  pid_t pid() const override { return child_.pid(); }
  std::string exit_reason() override { return child_.exit_reason(); }
  std::string describe() const override {
    std::string v = output_line({binary_, "-v"});
    return "haproxy: " + (v.empty() ? binary_ : v.substr(0, v.find(" - "))) +
           " (-db foreground, mode tcp, nbthread 1, maxconn " + std::to_string(maxconn_) + ")";
  }

 private:
  Workdir dir_;
  std::string binary_;
  int maxconn_;
  Child child_;
};

}  // namespace

bool make_workdir(Workdir* w, std::string* err) {
  char tmpl[] = "/tmp/jinx-bench.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *err = std::string("mkdtemp: ") + std::strerror(errno);
    return false;
  }
  w->path = tmpl;
  remove_at_signal(w->path, kWorkFiles);
  return true;
}

void remove_workdir(const Workdir& w) {
  if (w.path.empty()) return;
  for (const auto& f : kWorkFiles) unlink((w.path + "/" + f).c_str());
  rmdir(w.path.c_str());
}

std::unique_ptr<Relay> make_direct() {
  return std::make_unique<Direct>();
}
std::unique_ptr<Relay> make_socat(const Workdir& dir) {
  return std::make_unique<Socat>(dir);
}
std::unique_ptr<Relay> make_haproxy(const Workdir& dir, int maxconn) {
  return std::make_unique<Haproxy>(dir, maxconn);
}

std::unique_ptr<JinxRelay> make_jinx(const std::string& binary, const Workdir& dir,
                                     const std::string& label, const std::string& extra_toml,
                                     const std::string& top_toml) {
  return std::make_unique<JinxRelay>(binary, dir, label, extra_toml, top_toml);
}

JinxRelay::JinxRelay(std::string binary, Workdir dir, std::string label, std::string extra_toml,
                     std::string top_toml)
    : Relay(std::move(label)),
      binary_(std::move(binary)),
      extra_toml_(std::move(extra_toml)),
      top_toml_(std::move(top_toml)),
      dir_(std::move(dir)) {}

std::string JinxRelay::unavailable() const {
  return access(binary_.c_str(), X_OK) == 0
             ? ""
             : "jinx binary not found at " + binary_ + " (set JINX_BIN)";
}

std::string JinxRelay::describe() const {
  std::string v = output_line({binary_, "--version"});
  return "jinx: " + binary_ + (v.empty() ? "" : " (" + v + ")") + ", run --quiet";
}

bool JinxRelay::start(uint16_t upstream_port, std::string* err) {
  port_ = pick_free_port();
  std::string scenario = dir_.path + "/scenario.toml", log = dir_.path + "/jinx.log";
  std::string text = "name = \"jinx-bench " + label_ + "\"\n" + top_toml_ +
                     "\n"
                     "[[proxy]]\n"
                     "name = \"bench\"\n"
                     "listen = \"127.0.0.1:" +
                     std::to_string(port_) +
                     "\"\n"
                     "upstream = \"127.0.0.1:" +
                     std::to_string(upstream_port) + "\"\n\n" + extra_toml_;
  if (!write_file(scenario, text, err) ||
      !child_.spawn({binary_, "run", "--quiet", scenario}, log, true, err)) {
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.clear();
  }
  // The reader owns a duplicate of the pipe, so stop() can close the
  // original while the reader still drains to EOF.
  int fd = fcntl(child_.stdout_fd(), F_DUPFD_CLOEXEC, 0);
  reader_ = std::thread([this, fd] {
    std::string buf;
    char chunk[4096];
    for (;;) {
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      double at = now_s();
      buf.append(chunk, static_cast<size_t>(n));
      for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) {
        std::lock_guard<std::mutex> lock(mu_);
        events_.push_back({at, buf.substr(0, nl)});
      }
    }
    close(fd);
  });
  if (wait_event("\"proxy_listen\"", kStartTimeout) < 0) {
    *err = child_.running()
               ? "printed no proxy_listen event within 5 s"
               : "exited at start (status " + std::to_string(child_.exit_status()) + ")";
    *err += "; its stderr says:\n" + tail_file(log, 8);
    stop();
    return false;
  }
  // Use the port jinx reports, in case it differs from the one asked for.
  for (const auto& e : events()) {
    auto at = e.line.find("\"listen\":\"");
    if (e.line.find("\"proxy_listen\"") == std::string::npos || at == std::string::npos) continue;
    auto end = e.line.find('"', at + 10);
    auto colon = e.line.rfind(':', end);
    if (end != std::string::npos && colon != std::string::npos && colon > at) {
      port_ = static_cast<uint16_t>(std::atoi(e.line.c_str() + colon + 1));
    }
  }
  return true;
}

void JinxRelay::stop() {
  child_.stop(3.0);  // SPEC 6: jinx exits within 2 s of SIGTERM
  if (reader_.joinable()) reader_.join();
}

std::vector<JinxRelay::Event> JinxRelay::events() {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

double JinxRelay::wait_event(const std::string& needle, double timeout_s) {
  double deadline = now_s() + timeout_s;
  size_t seen = 0;
  do {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (; seen < events_.size(); ++seen) {
        if (events_[seen].line.find(needle) != std::string::npos) return events_[seen].at;
      }
    }
    sleep_s(0.001);
  } while (now_s() < deadline);
  return -1;
}

}  // namespace bench
