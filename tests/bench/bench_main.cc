// jinx_bench — jinx beside a direct connection, socat and haproxy, in one
// run, alternating between them; then a markdown table of medians and ratios.
//
//   jinx_bench [--quick] [--only GROUP,...] [--runs N] [--relays NAME,...]
//   jinx_bench fidelity [--quick] [--only TOXIC,...]
//   jinx_bench udp [--quick] [--runs N] UDP datagrams/s beside socat, memory per flow
//   jinx_bench api [--quick] [--runs N] relay throughput under API requests, API requests/s
//
// main reads top to bottom: options, process limits, the upstream server,
// the relays, then for each run every group on every relay (a fresh relay
// process each time; the relay order flips every other run so that no relay
// always goes first), then the report. Everything started is stopped at
// exit, also on error or Ctrl-C (process.h).
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api_bench.h"
#include "fidelity.h"
#include "net.h"
#include "process.h"
#include "relays.h"
#include "report.h"
#include "suite.h"
#include "summary.h"
#include "udp_bench.h"

#ifndef JINX_BINARY
#define JINX_BINARY "jinx"
#endif

namespace {

using namespace bench;

const std::vector<std::string> kGroups = {"bulk", "toxics", "latency", "connrate", "idle"};
const std::vector<std::string> kRelays = {"direct", "jinx", "socat", "haproxy"};

// The toxic variants of the `toxics` group: label -> [[toxic]] tables.
const std::vector<std::pair<std::string, std::string>> kToxicVariants = {
    {"jinx+latency0ms",
     "[[toxic]]\nproxy = \"bench\"\ntype = \"latency\"\nstream = \"both\"\nlatency = \"0ms\"\n"},
    {"jinx+latency100ms",
     "[[toxic]]\nproxy = \"bench\"\ntype = \"latency\"\nstream = \"both\"\nlatency = \"100ms\"\n"},
    // A toxic that by its meaning never slows this traffic (issue 11).
    {"jinx+bandwidth100GB/s",
     "[[toxic]]\nproxy = \"bench\"\ntype = \"bandwidth\"\nstream = \"both\"\nrate = \"100GB/s\"\n"},
};

void usage(FILE* to) {
  std::fprintf(to,
               "usage: jinx_bench [--quick] [--only GROUP,...] [--runs N] [--relays NAME,...]\n"
               "       jinx_bench fidelity [--quick] [--only TOXIC,...]\n"
               "       jinx_bench udp [--quick] [--runs N]\n"
               "       jinx_bench api [--quick] [--runs N]\n"
               "groups: bulk toxics latency connrate idle (default: all)\n"
               "relays: direct jinx socat haproxy (default: all found)\n"
               "jinx binary: $JINX_BIN, else %s\n",
               JINX_BINARY);
}

std::set<std::string> split_list(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

// 10,000 relayed connections need ~20,000 descriptors in the bench (client
// ends and upstream ends) and as many in the relay; children inherit the
// limit. With CAP_SYS_RESOURCE the hard limit is raised; otherwise soft =
// hard, and the idle test shrinks to what fits (see main).
rlim_t raise_nofile() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlimit want{100000, 100000};
  if (rl.rlim_max >= want.rlim_max || setrlimit(RLIMIT_NOFILE, &want) != 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

std::string machine_line() {
  utsname u{};
  uname(&u);
  std::string cpu;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; cpu.empty() && std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) cpu = line.substr(line.find(':') + 2);
  }
  char date[32];
  time_t now = time(nullptr);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
  return std::string(date) + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores (" +
         cpu + "), Linux " + u.release;
}

struct Subject {
  std::string label;
  std::function<std::unique_ptr<Relay>()> make;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  install_child_cleanup();

  // 1. Options.
  bool fidelity = argc > 1 && std::string(argv[1]) == "fidelity";
  bool udp = argc > 1 && std::string(argv[1]) == "udp";
  bool api = argc > 1 && std::string(argv[1]) == "api";
  SuiteOptions opt;
  std::set<std::string> only, relays_wanted(kRelays.begin(), kRelays.end());
  bool runs_given = false;
  for (int i = fidelity || udp || api ? 2 : 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "jinx_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--quick")
      opt.quick = true;
    else if (a == "--only")
      only = split_list(value());
    else if (a == "--runs")
      opt.runs = std::max(1, std::atoi(value().c_str())), runs_given = true;
    else if (a == "--relays")
      relays_wanted = split_list(value());
    else if (a == "--help" || a == "-h")
      return usage(stdout), 0;
    else
      return usage(stderr), 2;
  }
  if (opt.quick) {  // a smoke test: every path once, figures only indicative
    if (!runs_given) opt.runs = 1;
    opt.bulk_warmup = 0.2;
    opt.bulk_window = 0.5;
    opt.ping_seconds = 0.3;
    opt.ping_max = 3000;
    opt.churn_seconds = 0.5;
    opt.idle_counts = {1000};
    opt.idle_deadline = 20;
  }

  // 2. Process limits, scratch directory, the jinx binary.
  // A relay holds two descriptors per relayed connection, and so does the
  // bench (client end + upstream end): the largest idle test and haproxy's
  // maxconn follow from the limit, with room for listeners and logs.
  const long nofile = static_cast<long>(raise_nofile());
  const long fits = (nofile - 300) / 2 / 50 * 50;
  std::string limit_note;
  if (opt.idle_counts.back() > static_cast<size_t>(fits)) {
    limit_note =
        "RLIMIT_NOFILE is " + std::to_string(nofile) +
        " and cannot be raised here (no CAP_SYS_RESOURCE); a relay needs 2 descriptors per relayed "
        "connection, so the largest idle test is " +
        fmt_num(static_cast<double>(fits), 0) + " connections instead of " +
        fmt_num(static_cast<double>(opt.idle_counts.back()), 0);
    opt.idle_counts.back() = static_cast<size_t>(fits);
  }
  const int haproxy_maxconn = static_cast<int>(std::min(20000L, (nofile - 100) / 2));
  Workdir dir;
  std::string err;
  if (!make_workdir(&dir, &err)) {
    std::fprintf(stderr, "jinx_bench: %s\n", err.c_str());
    return 1;
  }
  struct Cleanup {
    Workdir& d;
    ~Cleanup() { remove_workdir(d); }
  } cleanup{dir};
  const char* env_bin = std::getenv("JINX_BIN");
  std::string jinx_bin = env_bin != nullptr && *env_bin != '\0' ? env_bin : JINX_BINARY;

  if (fidelity) return run_fidelity(jinx_bin, dir, opt.quick, only);
  if (udp) return run_udp_bench(jinx_bin, dir, opt.quick, opt.runs);
  if (api) return run_api_bench(jinx_bin, dir, opt.quick, opt.runs);

  for (const auto& g : only) {
    if (std::find(kGroups.begin(), kGroups.end(), g) == kGroups.end()) {
      std::fprintf(stderr, "jinx_bench: unknown group '%s'\n", g.c_str());
      return 2;
    }
  }
  opt.groups = only.empty() ? std::set<std::string>(kGroups.begin(), kGroups.end()) : only;

  // 3. The upstream: one server thread for every relay and measurement.
  EpollServer upstream(ServeMode::select);

  // 4. The relays; a missing binary is a note, not a failure.
  std::vector<Subject> subjects;
  std::vector<std::string> notes, labels, variants;
  if (!limit_note.empty() && opt.groups.count("idle")) notes.push_back(limit_note);
  const double load_before = load_average();
  std::fprintf(stdout,
               "## jinx_bench\n\n%s. Loopback; client, upstream and relay share the cores.\n",
               machine_line().c_str());
  std::fprintf(
      stdout,
      "Medians of %d alternating run%s; bulk figures over %.1f s after %.1f s of warm-up%s.\n\n",
      opt.runs, opt.runs == 1 ? "" : "s", opt.bulk_window, opt.bulk_warmup,
      opt.quick ? " (--quick: indicative only)" : "");
  for (const auto& name : kRelays) {
    if (!relays_wanted.count(name)) continue;
    std::function<std::unique_ptr<Relay>()> make;
    if (name == "direct") make = [] { return make_direct(); };
    if (name == "jinx")
      make = [&] { return std::unique_ptr<Relay>(make_jinx(jinx_bin, dir, "jinx", "")); };
    if (name == "socat") make = [&] { return make_socat(dir); };
    if (name == "haproxy") make = [&] { return make_haproxy(dir, haproxy_maxconn); };
    auto probe = make();
    if (std::string why = probe->unavailable(); !why.empty()) {
      notes.push_back(name + " skipped: " + why);
      continue;
    }
    std::fprintf(stdout, "- %s\n", probe->describe().c_str());
    subjects.push_back({name, make});
    labels.push_back(name);
    if (name == "jinx") {
      for (const auto& [label, toml] : kToxicVariants) {
        subjects.push_back({label, [&, label = label, toml = toml] {
                              return std::unique_ptr<Relay>(make_jinx(jinx_bin, dir, label, toml));
                            }});
        variants.push_back(label);
      }
    }
  }
  std::fflush(stdout);

  // 5. The runs: every group on every relay, alternating.
  Results results;
  std::set<std::string> broken;  // relays that failed to start: not retried
  bool failed = false;
  double t_start = now_s();
  for (int run = 1; run <= opt.runs; ++run) {
    for (const auto& group : kGroups) {
      if (!opt.groups.count(group)) continue;
      std::fprintf(stderr, "run %d/%d: %s\n", run, opt.runs, group.c_str());
      std::vector<const Subject*> order;
      for (const auto& s : subjects) {
        bool variant = s.label.find('+') != std::string::npos;
        // The toxics group measures the variants; it re-measures plain jinx
        // only when bulk is not run, to have a passthrough to compare with.
        bool wanted = group == "toxics"
                          ? (variant || (s.label == "jinx" && !opt.groups.count("bulk")))
                          : !variant;
        if (wanted && !broken.count(s.label)) order.push_back(&s);
      }
      if (run % 2 == 0) std::reverse(order.begin(), order.end());
      for (const Subject* s : order) {
        auto relay = s->make();
        if (!relay->start(upstream.port(), &err)) {
          std::fprintf(stderr, "  %s failed to start: %s\n", s->label.c_str(), err.c_str());
          notes.push_back(s->label + " failed to start: " + err.substr(0, err.find('\n')));
          broken.insert(s->label);
          failed = true;
          continue;
        }
        bool ok = measure_group(group, *relay, upstream, opt, results, &err);
        // A relay that crashed explains the failure better than its symptoms.
        if (std::string died = relay->exit_reason(); !died.empty()) {
          err = "the relay process " + died + (ok ? "" : "; the measurement saw: " + err);
          ok = false;
        }
        if (!ok) {
          std::fprintf(stderr, "  %s %s failed: %s\n", s->label.c_str(), group.c_str(),
                       err.c_str());
          notes.push_back(s->label + " " + group + " (run " + std::to_string(run) + "): " + err);
          failed = true;
        }
        relay->stop();
      }
    }
  }
  upstream.stop();

  // 6. The report.
  print_report({&results, &opt, labels, variants}, stdout);
  const double load_after = load_average();
  std::fprintf(stdout, "\nWhole suite: %.0f s. Load average %.2f before, %.2f after%s.\n",
               now_s() - t_start, load_before, load_after,
               load_before > 0.5 * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN))
                   ? " (the machine was busy at the start: figures are less reliable)"
                   : "");
  for (const auto& n : notes) std::fprintf(stdout, "- note: %s\n", n.c_str());
  return failed ? 1 : 0;
}
