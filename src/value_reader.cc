#include "value_reader.h"

#include <algorithm>

#include "suggest.h"

namespace jinx {

std::string clip(std::string_view text) {
  if (text.size() <= 64) return std::string(text);
  return std::string(text.substr(0, 61)) + "...";
}

SourcePos pos_of(const toml::source_region& r) {
  return {static_cast<uint32_t>(r.begin.line), static_cast<uint32_t>(r.begin.column)};
}

void ValueReader::check_keys(const toml::table& table, const std::vector<std::string_view>& allowed,
                             std::string_view where) {
  for (const auto& [key, node] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    std::string message = "unknown key '" + clip(key.str()) + "' in " + std::string(where);
    auto hint = nearest(key.str(), allowed);
    if (!hint.empty()) message += "; did you mean '" + hint + "'?";
    error(pos_of(key.source()), message);
  }
}

std::optional<std::string> ValueReader::get_string(const toml::table& t, std::string_view key,
                                                   std::string_view where) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_string()) {
    error(*node, "'" + std::string(key) + "' in " + std::string(where) + " must be a string");
    return std::nullopt;
  }
  return node->as_string()->get();
}

std::optional<uint64_t> ValueReader::to_count(const toml::node& node, std::string_view what,
                                              std::string_view things) {
  if (!node.is_integer() || *node.value<int64_t>() < 1) {
    std::string noun = things.empty() ? "" : " of " + std::string(things);
    error(node, std::string(what) + " must be a whole number" + noun + ", at least 1");
    return std::nullopt;
  }
  return static_cast<uint64_t>(*node.value<int64_t>());
}

std::optional<Micros> ValueReader::to_duration(const toml::node& node, std::string_view what) {
  if (node.is_number()) {
    error(node, std::string(what) + ": duration needs a unit, e.g. \"250ms\"");
    return std::nullopt;
  }
  if (!node.is_string()) {
    error(node, std::string(what) + " must be a duration string, e.g. \"250ms\"");
    return std::nullopt;
  }
  std::string err;
  auto d = parse_duration(node.as_string()->get(), &err);
  if (!d) error(node, std::string(what) + ": " + err);
  return d;
}

std::optional<DurationRange> ValueReader::to_range(const toml::node& node, std::string_view what) {
  if (node.is_string()) {
    const std::string& text = node.as_string()->get();
    auto dots = text.find("..");
    if (dots != std::string::npos) {
      std::string err;
      auto lo = parse_duration(text.substr(0, dots), &err);
      std::string err_hi;
      auto hi = lo ? parse_duration(text.substr(dots + 2), &err_hi) : std::nullopt;
      if (!lo || !hi) {
        error(node, std::string(what) + ": " + (lo ? err_hi : err));
        return std::nullopt;
      }
      if (*lo > *hi) {
        error(node, std::string(what) + ": range '" + text + "' ends before it starts");
        return std::nullopt;
      }
      return DurationRange{*lo, *hi};
    }
  }
  auto d = to_duration(node, what);
  if (!d) return std::nullopt;
  return DurationRange{*d, *d};
}

std::optional<double> ValueReader::to_number(const toml::node& node, Unit unit,
                                             std::string_view what) {
  switch (unit) {
    case Unit::duration: {
      auto d = to_duration(node, what);
      if (!d) return std::nullopt;
      return static_cast<double>(*d) / kMicrosPerMs;
    }
    case Unit::size:
      return to_size(node, std::string(what));
    case Unit::rate:
      return to_rate(node, std::string(what));
    case Unit::probability:
      return to_probability(node, std::string(what));
    case Unit::count: {
      if (node.is_number() && *node.value<double>() >= 0) return *node.value<double>();
      error(node, std::string(what) + " must be a number, at least 0");
      return std::nullopt;
    }
    case Unit::choice:
    case Unit::text:
    case Unit::headers:
      break;  // handled by the caller, which knows the choices
  }
  return std::nullopt;
}

std::optional<double> ValueReader::to_size(const toml::node& node, const std::string& name) {
  if (auto i = node.value<int64_t>(); i && node.is_integer()) {
    if (*i < 0) {
      error(node, name + ": a size cannot be negative");
      return std::nullopt;
    }
    return static_cast<double>(*i);
  }
  if (!node.is_string()) {
    error(node, name + " must be a size: an integer or a string like \"64KiB\"");
    return std::nullopt;
  }
  std::string err;
  auto s = parse_size(node.as_string()->get(), &err);
  if (!s) error(node, name + ": " + err);
  return s ? std::optional<double>(static_cast<double>(*s)) : std::nullopt;
}

std::optional<double> ValueReader::to_rate(const toml::node& node, const std::string& name) {
  if (node.is_integer()) {
    auto i = *node.value<int64_t>();
    if (i < 0) {
      error(node, name + ": a rate cannot be negative");
      return std::nullopt;
    }
    if (static_cast<double>(i) > kMaxRate) {
      error(node, name + ": rate " + std::to_string(i) + " is too large");
      return std::nullopt;
    }
    return static_cast<double>(i);
  }
  if (!node.is_string()) {
    error(node, name + " must be a rate: bytes per second, or a string like \"100KB/s\"");
    return std::nullopt;
  }
  std::string err;
  auto r = parse_rate(node.as_string()->get(), &err);
  if (!r) error(node, name + ": " + err);
  return r;
}

std::optional<double> ValueReader::to_probability(const toml::node& node, const std::string& name) {
  if (node.is_number()) {
    double p = *node.value<double>();
    if (!(p >= 0 && p <= 1)) {
      error(node, name + ": probability must be in [0, 1]");
      return std::nullopt;
    }
    return p;
  }
  if (!node.is_string()) {
    error(node, name + " must be a probability: a number in [0, 1] or \"5%\"");
    return std::nullopt;
  }
  std::string err;
  auto p = parse_percentage(node.as_string()->get(), &err);
  if (!p) error(node, name + ": " + err);
  return p;
}

std::optional<Param> ValueReader::to_param(const toml::node& node, Unit unit,
                                           std::string_view what) {
  if (const toml::table* ramp = node.as_table()) {
    check_keys(*ramp, {"from", "to"}, std::string(what) + " ramp");
    const toml::node* from = ramp->get("from");
    const toml::node* to = ramp->get("to");
    if (from == nullptr || to == nullptr) {
      error(node, std::string(what) + ": a ramp needs both 'from' and 'to'");
      return std::nullopt;
    }
    auto a = to_number(*from, unit, std::string(what) + ".from");
    auto b = to_number(*to, unit, std::string(what) + ".to");
    if (!a || !b) return std::nullopt;
    return Param{*a, *b, true};
  }
  auto v = to_number(node, unit, what);
  if (!v) return std::nullopt;
  return Param{*v, *v, false};
}

}  // namespace jinx
