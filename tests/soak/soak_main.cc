// jinx_soak: jinx under sustained load while every toxic type toggles.
//
//   jinx_soak [--duration 30s] [--connections 200] [--proxies 4] [--seed 1]
//             [--jinx PATH] [--rss-tolerance 0.5] [--rss-slack 16MiB]
//             [--stuck-after 30s] [--print-scenario] [--verbose]
//
// Everything runs on 127.0.0.1: upstream servers and clients in this
// process (one epoll loop), jinx as a child. Exit status 0 when every check
// held, 1 when one failed, 2 on bad usage. `make soak DURATION=10m` runs
// `jinx_soak --duration 10m --connections 1000 --proxies 4`.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include "soak.h"

namespace {

// "10m", "30s", "1m30s", "1.5h", "500ms"; a bare number is seconds.
double parse_duration(const std::string& text) {
  double total = 0;
  size_t i = 0;
  if (text.empty()) throw std::invalid_argument("empty duration");
  while (i < text.size()) {
    size_t used = 0;
    double v = std::stod(text.substr(i), &used);
    i += used;
    size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    std::string unit = text.substr(i, j - i);
    i = j;
    if (unit.empty() || unit == "s")
      total += v;
    else if (unit == "ms")
      total += v / 1000;
    else if (unit == "m")
      total += v * 60;
    else if (unit == "h")
      total += v * 3600;
    else
      throw std::invalid_argument("unknown unit '" + unit + "' in '" + text + "'");
  }
  return total;
}

long parse_kib(const std::string& text) {
  size_t used = 0;
  double v = std::stod(text, &used);
  std::string unit = text.substr(used);
  if (unit == "MiB" || unit == "M") return static_cast<long>(v * 1024);
  if (unit == "KiB" || unit == "K" || unit.empty()) return static_cast<long>(v);
  if (unit == "GiB" || unit == "G") return static_cast<long>(v * 1024 * 1024);
  throw std::invalid_argument("unknown size unit in '" + text + "'");
}

int usage(const char* why) {
  std::fprintf(stderr,
               "jinx_soak: %s\nusage: jinx_soak [--duration 30s] [--connections 200] "
               "[--proxies 4] [--seed N] [--jinx PATH] [--rss-tolerance 0.5] "
               "[--rss-slack 16MiB] [--stuck-after 30s] [--print-scenario] [--verbose]\n",
               why);
  return 2;
}

// A relay soak holds thousands of sockets here and in jinx: raise the soft
// limit on open files to the hard maximum (jinx inherits it).
void raise_nofile() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  soak::Options opts;
  opts.jinx = JINX_BINARY;
  if (const char* env = std::getenv("JINX_BIN")) opts.jinx = env;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--duration")
        opts.duration_s = parse_duration(value());
      else if (a == "--connections")
        opts.connections = std::stoi(value());
      else if (a == "--proxies")
        opts.proxies = std::stoi(value());
      else if (a == "--seed")
        opts.seed = std::stoull(value());
      else if (a == "--jinx")
        opts.jinx = value();
      else if (a == "--rss-tolerance")
        opts.rss_tolerance = std::stod(value());
      else if (a == "--rss-slack")
        opts.rss_slack_kib = parse_kib(value());
      else if (a == "--stuck-after")
        opts.stuck_after_s = parse_duration(value());
      else if (a == "--print-scenario")
        opts.print_scenario = true;
      else if (a == "--verbose" || a == "-v")
        opts.verbose = true;
      else if (a == "--help" || a == "-h")
        return usage("soak test of jinx"), 0;
      else
        throw std::invalid_argument("unknown option '" + a + "'");
    }
    if (opts.duration_s < 1) throw std::invalid_argument("--duration must be at least 1s");
    if (opts.connections < 1) throw std::invalid_argument("--connections must be at least 1");
    if (opts.proxies < 1 || opts.proxies > 64)
      throw std::invalid_argument("--proxies must be 1..64");
  } catch (const std::exception& e) {
    return usage(e.what());
  }

  raise_nofile();
  signal(SIGPIPE, SIG_IGN);
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  // Two sockets per connection here (client, upstream side) and some slack.
  if (lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur < static_cast<rlim_t>(2 * opts.connections + 64)) {
    std::fprintf(stderr, "jinx_soak: the open-file limit (%llu) is too low for %d connections\n",
                 static_cast<unsigned long long>(lim.rlim_cur), opts.connections);
    return 2;
  }
  try {
    soak::Soak s(opts);
    return s.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jinx_soak: %s\n", e.what());
    return 1;
  }
}
