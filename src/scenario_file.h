// A scenario as the subcommands read it: PATH, or `-` for standard input
// (named `<stdin>` in messages), every diagnostic printed on stderr.
#pragma once

#include <optional>
#include <string>

#include "loader.h"
#include "scenario.h"

namespace jinx {

// Most bytes a scenario file may have (SPEC 9: never grow without bound,
// `yes | jinx check -` included).
constexpr size_t kMaxScenarioBytes = 4 * 1024 * 1024;

// Reads PATH, or standard input for "-" (named "<stdin>" in messages), at
// most kMaxScenarioBytes, and loads it.
LoadResult load_scenario_file(const std::string& path);

// The scenario, or nothing when it has an error (already reported).
std::optional<Scenario> load_and_report(const std::string& path);

}  // namespace jinx
