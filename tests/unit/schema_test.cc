// The scenario schema (issue 15) against the loader it describes: its unit
// patterns never refuse what the parsers accept and do refuse malformed
// values; the key table's defaults are the loader's; every toxic type and
// attribute is in the schema.
#include "schema.h"

#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "loader.h"
#include "scenario_keys.h"
#include "units.h"

namespace jinx {
namespace {

bool matches(std::string_view pattern, const std::string& text) {
  return std::regex_search(text, std::regex(std::string(pattern)));
}

bool parses(Unit unit, const std::string& text) {
  std::string err;
  switch (unit) {
    case Unit::duration:
      return parse_duration(text, &err).has_value();
    case Unit::size:
      return parse_size(text, &err).has_value();
    case Unit::rate:
      return parse_rate(text, &err).has_value();
    case Unit::probability:
      return parse_percentage(text, &err).has_value();
    case Unit::choice:
      break;
  }
  return false;
}

const std::vector<std::string> kSamples = {
    "250ms",   "1.5s", "1m30s",  "0s",      ".5h",     "10us",   "1.s",      "250",
    "ms",      "1d",   "1 s",    "-1s",     "512",     "64KiB",  "1.5MB",    "0B",
    "12XB",    "1GiB", "-1KiB",  "KiB",     "100KB/s", "1MiB/s", "10kbit/s", "8Mbit/s",
    "1Gbit/s", "0B/s", "5/s",    "100KB/h", "8Tbit/s", "fast",   "5%",       "100%",
    "0.5%",    "150%", "100.0%", "007%",    "%",       "5 %",    "",
};

TEST_CASE("schema: a unit pattern never refuses a value the parser reads") {
  for (Unit unit : {Unit::duration, Unit::size, Unit::rate, Unit::probability}) {
    for (const auto& text : kSamples) {
      if (parses(unit, text)) {
        CAPTURE(text);
        CHECK(matches(unit_pattern(unit), text));
      }
    }
  }
}

TEST_CASE("schema: a unit pattern refuses malformed values") {
  CHECK_FALSE(matches(unit_pattern(Unit::duration), "250"));
  CHECK_FALSE(matches(unit_pattern(Unit::duration), "1d"));
  CHECK_FALSE(matches(unit_pattern(Unit::size), "12XB"));
  CHECK_FALSE(matches(unit_pattern(Unit::size), "-1KiB"));
  CHECK_FALSE(matches(unit_pattern(Unit::rate), "100KB/h"));
  CHECK_FALSE(matches(unit_pattern(Unit::rate), "fast"));
  CHECK_FALSE(matches(unit_pattern(Unit::probability), "150%"));
  CHECK(matches(duration_range_pattern(), "10s..20s"));
  CHECK(matches(duration_range_pattern(), "1m30s"));
  CHECK_FALSE(matches(duration_range_pattern(), "10s.."));
  CHECK(matches(address_pattern(), "[::1]:8080"));
  CHECK(matches(address_pattern(), "localhost:0"));
  CHECK_FALSE(matches(address_pattern(), "127.0.0.1:70000"));
  CHECK_FALSE(matches(address_pattern(), "::1:8080"));
  CHECK(matches(name_pattern(), "redis-1.a_b"));
  CHECK_FALSE(matches(name_pattern(), "no spaces"));
}

TEST_CASE("schema: the key table's defaults are the loader's") {
  const char* text =
      "[[proxy]]\nname = \"db\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:5432\"\n"
      "[[toxic]]\nproxy = \"db\"\ntype = \"stall\"\n";
  LoadResult r = load_scenario_text(text, "t.toml");
  REQUIRE(r.ok());
  auto unquoted = [](std::string_view json) {
    return std::string(json.substr(1, json.size() - 2));
  };
  std::string err;
  const ProxySpec& p = r.scenario->proxies[0];
  CHECK(parse_duration(unquoted(find_key(proxy_keys(), "connect_timeout")->default_json), &err) ==
        p.connect_timeout);
  CHECK(parse_size(unquoted(find_key(proxy_keys(), "buffer")->default_json), &err) == p.buffer);
  CHECK(find_key(proxy_keys(), "protocol")->default_json == "\"tcp\"");
  CHECK(p.protocol == ProxyProtocol::tcp);
  CHECK(parse_duration(unquoted(find_key(proxy_keys(), "idle_timeout")->default_json), &err) ==
        p.idle_timeout);
  CHECK(find_key(proxy_keys(), "max_flows")->default_json == std::to_string(p.max_flows));
  const ToxicSpec& t = r.scenario->toxics[0];
  CHECK(parse_duration(unquoted(find_key(toxic_keys(), "ramp_step")->default_json), &err) ==
        t.ramp_step);
  CHECK(t.stream == Stream::downstream);
  CHECK(find_key(toxic_keys(), "stream")->default_json == "\"downstream\"");
  CHECK(t.toxicity.from == 1.0);
  CHECK(find_key(toxic_keys(), "toxicity")->default_json == "1");
}

TEST_CASE("schema: names every key, toxic type and attribute") {
  std::string schema = scenario_schema();
  CHECK(schema.find("\"$schema\": \"http://json-schema.org/draft-07/schema#\"") !=
        std::string::npos);
  for (const auto* keys : {&top_level_keys(), &proxy_keys(), &toxic_keys()}) {
    for (const auto& k : *keys)
      CHECK(schema.find("\"" + std::string(k.name) + "\":") != std::string::npos);
  }
  for (const auto& type : toxic_catalog()) {
    CHECK(schema.find("\"const\": \"" + std::string(type.name) + "\"") != std::string::npos);
    for (const auto& a : type.attrs) {
      CHECK(schema.find("\"" + std::string(a.name) + "\":") != std::string::npos);
      CHECK(schema.find(std::string(a.description)) != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace jinx
