// Matching jinx's JSON events: ev("toxic_on").with("window", 1) is a
// predicate for JinxProcess::wait_event and friends.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "clock.h"

namespace jinx_test {

using json = nlohmann::json;
using EventPred = std::function<bool(const json&)>;

// One line jinx printed on stdout, with the time the harness read it.
struct Event {
  json body;  // null if the line is not JSON
  std::string raw;
  Clock::time_point arrived;
};

class Match {
 public:
  explicit Match(std::string event) : event_(std::move(event)) {}
  // Also requires body[key] == value.
  Match& with(std::string key, json value);
  bool operator()(const json& e) const;
  std::string str() const;

 private:
  std::string event_;
  std::vector<std::pair<std::string, json>> fields_;
};

inline Match ev(std::string event) {
  return Match(std::move(event));
}

// Event field helpers that tolerate absence.
double t_of(const json& e);  // e["t"] as a number (NaN if absent)
bool has_string(const json& e, const char* key);

}  // namespace jinx_test
