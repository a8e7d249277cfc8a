// The event stream (SPEC 7): JSON lines that parse, text lines for people,
// --quiet, and the common fields.
#include "event_log.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

namespace jinx {
namespace {

// A strict JSON checker (RFC 8259 grammar, no extensions), enough to tell
// that an event line is one valid JSON object.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}
  bool object_line() {
    space();
    if (!peek('{') || !value()) return false;
    space();
    return i_ == s_.size();
  }

 private:
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool digits() {
    size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])) != 0) ++i_;
    return i_ > start;
  }
  bool number() {
    eat('-');
    if (eat('0')) {
      if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])) != 0) return false;
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }
  bool string() {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k, ++i_) {
            if (i_ >= s_.size() || std::isxdigit(static_cast<unsigned char>(s_[i_])) == 0)
              return false;
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool value() {
    space();
    bool ok = false;
    if (peek('{')) {
      ++i_;
      space();
      ok = eat('}');
      while (!ok) {
        space();
        if (!string()) return false;
        space();
        if (!eat(':') || !value()) return false;
        space();
        if (eat('}'))
          ok = true;
        else if (!eat(','))
          return false;
      }
    } else if (peek('[')) {
      ++i_;
      space();
      ok = eat(']');
      while (!ok) {
        if (!value()) return false;
        space();
        if (eat(']'))
          ok = true;
        else if (!eat(','))
          return false;
      }
    } else if (peek('"')) {
      ok = string();
    } else if (peek('t')) {
      ok = literal("true");
    } else if (peek('f')) {
      ok = literal("false");
    } else if (peek('n')) {
      ok = literal("null");
    } else {
      ok = number();
    }
    space();
    return ok;
  }
  std::string_view s_;
  size_t i_ = 0;
};

bool is_json_object(std::string_view line) {
  return JsonChecker(line).object_line();
}

// An EventLog writing through a real EventOutput to a temporary file.
class Capture {
 public:
  explicit Capture(EventFormat format)
      : file_(std::tmpfile()), output_(fileno(file_)), log_(output_, format) {
    REQUIRE(file_ != nullptr);
  }
  ~Capture() { std::fclose(file_); }
  EventLog& log() { return log_; }
  std::vector<std::string> lines() {
    log_.flush();
    std::string all = contents();
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(all.substr(start, nl - start));
    }
    CHECK(start == all.size());  // every line ends with a newline
    return out;
  }
  size_t written() { return contents().size(); }

 private:
  std::string contents() {
    std::string all;
    char buf[65536];
    for (off_t at = 0;;) {
      ssize_t n = pread(fileno(file_), buf, sizeof buf, at);
      if (n <= 0) break;
      all.append(buf, static_cast<size_t>(n));
      at += n;
    }
    return all;
  }
  FILE* file_;
  EventOutput output_;
  EventLog log_;
};

bool has(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST_CASE("the JSON checker itself tells valid from invalid") {
  CHECK(is_json_object(R"({"a":1,"b":[true,false,null],"c":{"d":"e\n"},"f":-0.5e3})"));
  CHECK(is_json_object("{}"));
  CHECK_FALSE(is_json_object(R"({"a":1,})"));
  CHECK_FALSE(is_json_object(R"({"a":01})"));
  CHECK_FALSE(is_json_object("{\"a\":\"\x01\"}"));
  CHECK_FALSE(is_json_object(R"({"a":"\x"})"));
  CHECK_FALSE(is_json_object(R"({"a":nan})"));
  CHECK_FALSE(is_json_object(R"({"a":1} x)"));
  CHECK_FALSE(is_json_object(R"([1])"));
}

TEST_CASE("JSON strings are escaped") {
  auto json = [](std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
  };
  CHECK(json("plain") == R"("plain")");
  CHECK(json("") == R"("")");
  CHECK(json("say \"hi\"") == R"("say \"hi\"")");
  CHECK(json("C:\\path") == R"("C:\\path")");
  CHECK(json("a\nb\rc\td") == R"("a\nb\rc\td")");
  CHECK(json(std::string_view("\x01\x1f\0", 3)) == R"("\u0001\u001f\u0000")");
  CHECK(json("caf\xc3\xa9") == "\"caf\xc3\xa9\"");  // UTF-8 passes through
  for (const char* s : {"\"", "\\", "\n", "\x7f", "\x01x\x02", "{\"}"}) {
    CHECK(is_json_object("{\"k\":" + json(s) + "}"));
  }
}

TEST_CASE("a JSON event has ts, t and event, then its fields, on one line") {
  Capture out(EventFormat::json);
  Micros clock = 12'345'678;
  out.log().set_clock([&] { return clock; });
  out.log().set_time_zero(10'000'000);
  const std::string toxics[] = {"slow", "odd \"name\""};
  {
    Event(out.log(), "conn_close")
        .str("proxy", "db")
        .num("conn", uint64_t{7})
        .num("bytes_up", int64_t{-1})
        .num("elapsed", 1.23456, 3)
        .num("bad", std::nan(""), 3)
        .null("toxic")
        .strings("toxics", toxics, toxics + 2)
        .strings("none", toxics, toxics)
        .object("attributes", R"({"latency":250})", "latency=250ms")
        .str("error", "line\nbreak");
  }
  auto lines = out.lines();
  REQUIRE(lines.size() == 1);
  const std::string& line = lines[0];
  CAPTURE(line);
  CHECK(is_json_object(line));
  std::regex head(
      R"(^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","t":2\.346,"event":"conn_close",)");
  CHECK(std::regex_search(line, head));
  CHECK(has(line, R"("proxy":"db")"));
  CHECK(has(line, R"("conn":7)"));
  CHECK(has(line, R"("bytes_up":-1)"));
  CHECK(has(line, R"("elapsed":1.235)"));
  CHECK(has(line, R"("bad":null)"));
  CHECK(has(line, R"("toxic":null)"));
  CHECK(has(line, R"("toxics":["slow","odd \"name\""])"));
  CHECK(has(line, R"("none":[])"));
  CHECK(has(line, R"("attributes":{"latency":250})"));
  CHECK(has(line, R"("error":"line\nbreak")"));
}

TEST_CASE("t is negative before the timeline starts") {
  Capture out(EventFormat::json);
  out.log().set_clock([] { return Micros{500'000}; });
  out.log().set_time_zero(2'000'000);
  { Event(out.log(), "proxy_listen").str("proxy", "a"); }
  auto lines = out.lines();
  REQUIRE(lines.size() == 1);
  CHECK(has(lines[0], R"("t":-1.500,)"));
  CHECK(is_json_object(lines[0]));
}

TEST_CASE("events are buffered until flush, and every line parses") {
  Capture out(EventFormat::json);
  for (int i = 0; i < 100; ++i) {
    Event(out.log(), i % 2 == 0 ? "conn_open" : "toxic_on")
        .num("conn", static_cast<uint64_t>(i))
        .str("client", "127.0.0.1:" + std::to_string(40000 + i))
        .str("weird", std::string("tab\there \x02 \\ \"q\""));
  }
  CHECK(out.log().pending());
  CHECK(out.written() == 0);
  auto lines = out.lines();
  CHECK_FALSE(out.log().pending());
  REQUIRE(lines.size() == 100);
  int bad = 0;
  for (const auto& l : lines) bad += is_json_object(l) ? 0 : 1;
  CHECK(bad == 0);
  CHECK(has(lines[99], R"("conn":99)"));
}

TEST_CASE("a large burst is written without waiting for flush") {
  Capture out(EventFormat::json);
  for (int i = 0; i < 2000; ++i) Event(out.log(), "conn_open").str("client", std::string(100, 'x'));
  CHECK(out.written() > 0);
  CHECK(out.lines().size() == 2000);
}

TEST_CASE("text events name the event and show key=value") {
  Capture out(EventFormat::text);
  out.log().set_clock([] { return Micros{3'250'000}; });
  const std::string names[] = {"a", "b"};
  {
    Event(out.log(), "toxic_on")
        .str("toxic", "slow")
        .str("message", "two words")
        .num("window", uint64_t{0})
        .strings("toxics", names, names + 2)
        .null("status")
        .object("attributes", R"({"latency":250})", "latency=250ms");
  }
  auto lines = out.lines();
  REQUIRE(lines.size() == 1);
  const std::string& line = lines[0];
  CAPTURE(line);
  CHECK(has(line, "3.250s"));
  CHECK(has(line, "toxic_on"));
  CHECK(has(line, "toxic=slow"));
  CHECK(has(line, "message=\"two words\""));
  CHECK(has(line, "window=0"));
  CHECK(has(line, "toxics=a,b"));
  CHECK(has(line, "status=-"));
  CHECK(has(line, "latency=250ms"));
  CHECK_FALSE(has(line, "{"));
  CHECK(line.back() != ' ');
}

// A value with a line break (a scenario `name = "a\nb"` in session_start,
// an error message) is written raw by Event::str() in text format, which
// only quotes values with a space (src/event_log.cc, Event::str): the event
// then spans two lines.
TEST_CASE("text values with control characters stay on one line") {
  Capture out(EventFormat::text);
  Event(out.log(), "session_start").str("name", "first\nsecond").str("version", "1");
  auto lines = out.lines();
  CHECK(lines.size() == 1);
  REQUIRE_FALSE(lines.empty());
  CHECK(has(lines[0], "version=1"));
}

TEST_CASE("--quiet hides conn_* events and nothing else") {
  for (EventFormat format : {EventFormat::json, EventFormat::text}) {
    Capture out(format);
    out.log().set_quiet(true);
    CHECK_FALSE(out.log().wants("conn_open"));
    CHECK_FALSE(out.log().wants("conn_close"));
    CHECK(out.log().wants("toxic_on"));
    CHECK(out.log().wants("session_end"));
    Event(out.log(), "conn_open").str("proxy", "db");
    Event(out.log(), "conn_upstream").str("proxy", "db");
    Event(out.log(), "toxic_on").str("toxic", "t");
    Event(out.log(), "conn_close").str("proxy", "db");
    Event(out.log(), "session_end").num("exit_code", int64_t{0});
    auto lines = out.lines();
    REQUIRE(lines.size() == 2);
    CHECK(has(lines[0], "toxic_on"));
    CHECK(has(lines[1], "session_end"));
  }
  Capture loud(EventFormat::json);
  CHECK(loud.log().wants("conn_open"));
  Event(loud.log(), "conn_open");
  CHECK(loud.lines().size() == 1);
}

TEST_CASE("rfc3339_now is UTC with milliseconds") {
  std::regex form(
      R"(^\d{4}-(0[1-9]|1[0-2])-([0-2]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-6]\d\.\d{3}Z$)");
  CHECK(std::regex_match(rfc3339_now(), form));
}

}  // namespace
}  // namespace jinx
