// The subcommands, each declared on its CLI11 subcommand by a function that
// returns what runs once the command line is parsed (main.cc holds the
// table). Each lives in its own *_command.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "event_log.h"
#include "units.h"

namespace CLI {
class App;
}

namespace jinx {

constexpr int kUsageError = 2;

// What main learned before parsing: the command after `--`.
struct Invocation {
  std::vector<std::string> command;
};

// Runs the subcommand; returns its exit code.
using Runner = std::function<int()>;

struct Subcommand {
  const char* name;
  const char* description;
  // Adds the options (and the help footer) to `sub`.
  Runner (*declare)(CLI::App& sub, const Invocation& invocation);
};

Runner declare_run(CLI::App& sub, const Invocation& invocation);
Runner declare_check(CLI::App& sub, const Invocation& invocation);
Runner declare_plan(CLI::App& sub, const Invocation& invocation);
Runner declare_toxics(CLI::App& sub, const Invocation& invocation);
Runner declare_schema(CLI::App& sub, const Invocation& invocation);
Runner declare_completion(CLI::App& sub, const Invocation& invocation);

// jinx check SCENARIO...
int check_command(const std::vector<std::string>& files);

struct PlanOptions {
  std::optional<uint64_t> seed;
  std::optional<int> width;  // default: the terminal width, else 80
  EventFormat format = EventFormat::text;
  std::string file;
};
// jinx plan
int plan_command(const PlanOptions& options);

// jinx toxics
int toxics_command(EventFormat format);

// --format's value.
inline EventFormat format_of(const std::string& text) {
  return text == "text" ? EventFormat::text : EventFormat::json;
}

// --seed's value, if given (`count` > 0): an unsigned 64-bit integer. False,
// with a message on stderr, when it was given but is not one.
bool read_seed(size_t count, const std::string& text, std::optional<uint64_t>* seed);

// "2026-12-01T10:00:00Z" (RFC 3339, any offset) or "+DUR": the delay from
// `now_us` (wall clock, us since the epoch) until then. Empty optional and
// *err set when it cannot be read, names no real time, or has passed.
std::optional<Micros> parse_start_at(const std::string& text, Micros now_us, std::string* err);
std::optional<Micros> parse_start_at(const std::string& text, std::string* err);

}  // namespace jinx
