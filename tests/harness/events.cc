#include "events.h"

#include <cmath>

namespace jinx_test {

Match& Match::with(std::string key, json value) {
  fields_.emplace_back(std::move(key), std::move(value));
  return *this;
}

bool Match::operator()(const json& e) const {
  if (!e.is_object()) return false;
  auto it = e.find("event");
  if (it == e.end() || *it != event_) return false;
  for (const auto& [key, value] : fields_) {
    auto f = e.find(key);
    if (f == e.end() || *f != value) return false;
  }
  return true;
}

std::string Match::str() const {
  std::string s = "event=" + event_;
  for (const auto& [key, value] : fields_) s += " " + key + "=" + value.dump();
  return s;
}

double t_of(const json& e) {
  auto it = e.find("t");
  if (it == e.end() || !it->is_number()) return std::nan("");
  return it->get<double>();
}

bool has_string(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string();
}

}  // namespace jinx_test
