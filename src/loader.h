// Loads and validates a scenario file (SPEC 2-4, 9). Every problem in a file
// is collected, each with its line and column, so a user fixes them in one go.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostic.h"
#include "scenario.h"

namespace jinx {

struct LoadResult {
  std::optional<Scenario> scenario;  // set when there is no error (warnings allowed)
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return scenario.has_value(); }
};

// `file` is the name used in messages.
LoadResult load_scenario_text(std::string_view text, const std::string& file);

}  // namespace jinx
