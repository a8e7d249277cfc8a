// The subcommands other than `run`, each a function of its options returning
// an exit code. `run` lives in session.h; main.cc parses the command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event_log.h"
#include "units.h"

namespace jinx {

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

// "2026-12-01T10:00:00Z" (RFC 3339, any offset) or "+DUR": the delay from now
// until then. Empty optional and *err set when it cannot be read or has passed.
std::optional<Micros> parse_start_at(const std::string& text, std::string* err);

}  // namespace jinx
