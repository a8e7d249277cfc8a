// Reads the values of a scenario's keys in their units (SPEC 3), with every
// problem recorded as a diagnostic at the value's line and column. The loader
// builds on it; nothing here knows the shape of a scenario.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loader.h"

namespace jinx {

// Long user text is cut in messages: a 3 MB key is not echoed whole.
std::string clip(std::string_view text);
SourcePos pos_of(const toml::source_region& r);

class ValueReader {
 public:
  explicit ValueReader(std::vector<Diagnostic>& diags) : diags_(diags) {}

  void error(SourcePos pos, std::string message) {
    diags_.push_back({pos, false, std::move(message)});
  }
  void warning(SourcePos pos, std::string message) {
    diags_.push_back({pos, true, std::move(message)});
  }
  void error(const toml::node& node, std::string message) {
    error(pos_of(node.source()), std::move(message));
  }

  // Reports every key of `table` not in `allowed`, with a suggestion.
  void check_keys(const toml::table& table, const std::vector<std::string_view>& allowed,
                  std::string_view where);
  std::optional<std::string> get_string(const toml::table& t, std::string_view key,
                                        std::string_view where);
  std::optional<Micros> to_duration(const toml::node& node, std::string_view what);
  // A duration, or a range "10s..20s".
  std::optional<DurationRange> to_range(const toml::node& node, std::string_view what);
  // A value in base units: ms for durations, bytes, bytes/s, 0..1.
  std::optional<double> to_number(const toml::node& node, Unit unit, std::string_view what);
  // A number, or a ramp { from = X, to = Y }.
  std::optional<Param> to_param(const toml::node& node, Unit unit, std::string_view what);
  // A whole number, at least 1, of `things` ("windows"; empty: no noun).
  std::optional<uint64_t> to_count(const toml::node& node, std::string_view what,
                                   std::string_view things);

 private:
  std::optional<double> to_size(const toml::node& node, const std::string& name);
  std::optional<double> to_rate(const toml::node& node, const std::string& name);
  std::optional<double> to_probability(const toml::node& node, const std::string& name);

  std::vector<Diagnostic>& diags_;
};

}  // namespace jinx
