// jinx toxics: every type, its attributes, units, defaults and meaning,
// printed from the same table the loader validates with.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "commands.h"
#include "toxic_types.h"

namespace jinx {
namespace {

std::string_view kind_name(ToxicKind kind) {
  switch (kind) {
    case ToxicKind::stage:
      return "stage";
    case ToxicKind::down:
      return "proxy";
    case ToxicKind::slow_open:
      return "proxy";
    case ToxicKind::request:
      return "request";
  }
  return "?";
}

std::string default_text(const AttrSpec& a) {
  if (a.required) return "required";
  return format_attr_value(a, a.default_value);
}

// The protocols of a bit set, as a JSON array: ["tcp","udp"].
std::string protocol_list(unsigned protocols) {
  std::string out = "[";
  for (auto [bit, name] : {std::pair{kTcp, "tcp"}, {kHttp, "http"}, {kUdp, "udp"}}) {
    if ((protocols & bit) == 0) continue;
    if (out.size() > 1) out += ',';
    out += "\"" + std::string(name) + "\"";
  }
  return out + "]";
}

// One attribute as a JSON object: what the schema and completions read.
void append_attr_json(std::string& line, const AttrSpec& a) {
  line += "{\"name\":";
  append_json_string(line, a.name);
  line += ",\"unit\":";
  append_json_string(line, unit_name(a.unit));
  line += std::string(",\"required\":") + (a.required ? "true" : "false");
  line += ",\"default\":";
  char buf[64];
  if (a.required) {
    line += "null";
  } else if (a.unit == Unit::choice || !a.numeric()) {
    append_json_string(line, format_attr_value(a, a.default_value));
  } else {
    std::snprintf(buf, sizeof buf, "%g", a.default_value);
    line += buf;
  }
  if (a.unit != Unit::choice && a.numeric()) {
    std::snprintf(buf, sizeof buf, ",\"min\":%g,\"max\":%g", a.min, a.max);
    line += buf;
  }
  line += std::string(",\"rampable\":") + (a.rampable() ? "true" : "false");
  if (a.protocols != ~0U) line += ",\"protocols\":" + protocol_list(a.protocols);
  if (a.unit == Unit::choice) {
    line += ",\"choices\":[";
    for (size_t c = 0; c < a.choices.size(); ++c) {
      if (c > 0) line += ',';
      append_json_string(line, a.choices[c]);
    }
    line += ']';
  }
  line += ",\"description\":";
  append_json_string(line, a.description);
  line += '}';
}

void print_json() {
  for (const ToxicType* registered : toxic_types()) {
    const ToxicType& type = *registered;
    std::string line = "{\"type\":";
    append_json_string(line, type.name);
    line += ",\"description\":";
    append_json_string(line, type.description);
    line += ",\"kind\":";
    append_json_string(line, kind_name(type.kind));
    line += ",\"protocols\":" + protocol_list(type.protocols);
    bool stream = type.on_stream();
    line += std::string(",\"stream\":") + (stream ? "true" : "false");
    bool toxicity = stream || type.kind == ToxicKind::request;
    line += std::string(",\"toxicity\":") + (toxicity ? "true" : "false");
    line += ",\"attributes\":[";
    for (size_t i = 0; i < type.attrs.size(); ++i) {
      if (i > 0) line += ',';
      append_attr_json(line, type.attrs[i]);
    }
    line += "]}";
    std::printf("%s\n", line.c_str());
  }
}

// match, first and nth: what picks the requests a toxic of an HTTP proxy
// acts on.
void print_request_keys() {
  std::printf("  %-15s %-12s %-10s %s\n", "match", "table", "any",
              "HTTP: { method, path (glob), header = { NAME = VALUE } }");
  std::printf("  %-15s %-12s %-10s %s\n", "first", "count", "-",
              "HTTP: only the first N matching requests of each window");
  std::printf("  %-15s %-12s %-10s %s\n", "nth", "count", "-",
              "HTTP: only every Nth matching request");
}

void print_text() {
  std::printf(
      "Toxic types (see jinx-scenario(5)). Units: durations \"250ms\", sizes \"64KiB\",\n"
      "rates \"1MiB/s\" or \"8Mbit/s\", probabilities 0..1 or \"5%%\". Numeric values may\n"
      "ramp: { from = X, to = Y }.\n\n");
  for (const ToxicType* registered : toxic_types()) {
    const ToxicType& type = *registered;
    bool stream = type.on_stream();
    std::string protocols = protocol_list(type.protocols);
    protocols = protocols.substr(1, protocols.size() - 2);  // "tcp","udp" -> tcp, udp
    std::erase(protocols, '"');
    for (size_t at = protocols.find(','); at != std::string::npos;
         at = protocols.find(',', at + 2)) {
      protocols.replace(at, 1, ", ");
    }
    std::printf("%-11s %s\n  (proxies: %s)\n", std::string(type.name).c_str(),
                std::string(type.description).c_str(), protocols.c_str());
    if (stream) {
      std::printf("  %-15s %-12s %-10s %s\n", "stream", "choice", "downstream",
                  "downstream | upstream | both");
      std::printf("  %-15s %-12s %-10s %s\n", "toxicity", "probability", "1",
                  (type.protocols & kHttp) != 0
                      ? "chance the toxic applies to a connection's direction (HTTP with "
                        "match: to a request's)"
                      : "chance the toxic applies to a connection's direction");
      if ((type.protocols & kHttp) != 0) print_request_keys();
    } else if (type.kind == ToxicKind::request) {
      std::printf("  (acts on requests of http proxies: no stream)\n");
      std::printf("  %-15s %-12s %-10s %s\n", "toxicity", "probability", "1",
                  "chance the toxic applies to a matching request");
      print_request_keys();
    } else {
      std::printf("  (acts on the whole proxy: no stream, no toxicity)\n");
    }
    for (const auto& a : type.attrs) {
      std::printf("  %-15s %-12s %-10s %s\n", std::string(a.name).c_str(),
                  std::string(unit_name(a.unit)).c_str(), default_text(a).c_str(),
                  std::string(a.description).c_str());
    }
    std::printf("\n");
  }
}

}  // namespace

int toxics_command(EventFormat format) {
  if (format == EventFormat::json) {
    print_json();
  } else {
    print_text();
  }
  std::fflush(stdout);
  return 0;
}

Runner declare_toxics(CLI::App& sub, const Invocation& /*invocation*/) {
  auto format = std::make_shared<std::string>("text");
  sub.add_option("--format", *format, "text or json")->check(CLI::IsMember({"json", "text"}));
  sub.footer(
      "Exit codes: 0 listed, 1 stdout could not be written, 2 bad usage, 141 stdout's\n"
      "reader went away.");
  return [format] { return toxics_command(format_of(*format)); };
}

}  // namespace jinx
