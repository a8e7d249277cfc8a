// jinx run: reads the options, loads the scenario and plays a Session.
#include <CLI/CLI.hpp>
#include <memory>

#include "commands.h"
#include "scenario_file.h"
#include "session.h"

namespace jinx {
namespace {

struct RunArgs {
  std::string file;
  std::string format = "json";
  std::string seed;
  std::string duration;
  std::string start_at;
  std::string api;
  std::string populate;
  bool quiet = false;
  bool no_progress = false;
  size_t seed_count = 0;
};

const char* kRunFooter =
    "With -- COMMAND, jinx binds every listener, sets JINX_<PROXY>=host:port,\n"
    "JINX_<PROXY>_HOST and JINX_<PROXY>_PORT for each proxy, runs COMMAND in a process\n"
    "group of its own (no shell; its stdout goes to jinx's stderr), ends the session when\n"
    "it exits and exits with its status.\n"
    "Exit codes: 0 duration reached, 1 runtime failure (stdout unwritable included),\n"
    "2 bad usage or invalid scenario, 128+N stopped by signal N (141: stdout's reader\n"
    "went away), or the wrapped COMMAND's status.\n"
    "With --api HOST:PORT, jinx serves Toxiproxy's HTTP API there (SCENARIO may then be\n"
    "left out: no proxy, until stopped) and COMMAND also gets TOXIPROXY_URL=http://HOST:PORT\n"
    "and JINX_API=HOST:PORT.";

// Shows what follows `--` in the usage line, which CLI11 cannot know (main
// splits it off before parsing).
class RunFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    if (!usage.empty() && usage.back() == '\n') usage.pop_back();
    return usage + " [-- COMMAND [ARG...]]\n";
  }
};

// --duration into RunOptions; false (with a message) when it is not one.
bool read_duration(const std::string& text, RunOptions* options) {
  if (text.empty()) return true;
  std::string err;
  if (text == "inf") {
    options->duration = std::optional<Micros>();
  } else if (auto d = parse_duration(text, &err)) {
    options->duration = *d == 0 ? std::optional<Micros>() : std::optional(*d);
  } else {
    std::fprintf(stderr, "jinx: error: --duration: %s\n", err.c_str());
    return false;
  }
  return true;
}

int run(const RunArgs& args, const Invocation& invocation) {
  RunOptions options;
  options.format = format_of(args.format);
  options.quiet = args.quiet;
  options.progress = !args.no_progress;
  options.command = invocation.command;
  if (!read_seed(args.seed_count, args.seed, &options.seed)) return kUsageError;
  if (!read_duration(args.duration, &options)) return kUsageError;
  if (!args.start_at.empty()) {
    std::string err;
    auto delay = parse_start_at(args.start_at, &err);
    if (!delay) {
      std::fprintf(stderr, "jinx: error: %s\n", err.c_str());
      return kUsageError;
    }
    options.start_delay = *delay;
  }
  options.api = args.api;
  options.populate = args.populate;
  if (args.file.empty() && args.api.empty()) {
    std::fprintf(stderr, "jinx: error: run needs a SCENARIO (or --api HOST:PORT)\n");
    return kUsageError;
  }
  if (!args.populate.empty() && args.api.empty()) {
    std::fprintf(stderr, "jinx: error: --populate needs --api\n");
    return kUsageError;
  }
  std::optional<Scenario> scenario;
  if (args.file.empty()) {
    scenario = Scenario{};  // the API alone: no proxy yet, until stopped
    scenario->file = "<none>";
  } else {
    scenario = load_and_report(args.file);
  }
  if (!scenario) return kUsageError;
  Session session(std::move(*scenario), std::move(options));
  return session.run();
}

}  // namespace

bool read_seed(size_t count, const std::string& text, std::optional<uint64_t>* seed) {
  if (count == 0) return true;
  *seed = parse_u64(text);
  if (!*seed) {
    std::fprintf(stderr, "jinx: error: --seed: '%s' is not an unsigned 64-bit integer\n",
                 text.c_str());
  }
  return seed->has_value();
}

Runner declare_run(CLI::App& sub, const Invocation& invocation) {
  auto args = std::make_shared<RunArgs>();
  sub.add_option("SCENARIO", args->file,
                 "Scenario file, or - for standard input; optional with --api");
  sub.add_option("--format", args->format, "Event format on stdout")
      ->check(CLI::IsMember({"json", "text"}))
      ->default_str("json");
  sub.add_option("--seed", args->seed, "Seed for every random draw (overrides the scenario's)");
  sub.add_option("--duration", args->duration,
                 "Session length, overrides the scenario's; 0s or inf = until stopped");
  sub.add_option("--start-at", args->start_at,
                 "Bind now, start the timeline at TIME: RFC 3339 (2026-12-01T10:00:00Z) or +DUR");
  sub.add_option("--api", args->api,
                 "Serve Toxiproxy's HTTP API on HOST:PORT (port 0: any free one)");
  sub.add_option("--populate", args->populate,
                 "With --api: create the proxies of a Toxiproxy JSON config file");
  sub.add_flag("--quiet", args->quiet, "No per-connection or per-flow events (conn_*, flow_*)");
  sub.add_flag("--no-progress", args->no_progress, "No status line on stderr");
  sub.formatter(std::make_shared<RunFormatter>());
  sub.footer(kRunFooter);
  CLI::App* app = &sub;
  return [args, app, &invocation] {
    args->seed_count = app->count("--seed");
    return run(*args, invocation);
  };
}

}  // namespace jinx
