// libFuzzer target: the unit parsers and address splitting. Parsers either
// succeed or explain; a successful parse must survive a round trip through
// the formatter where one exists.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "address.h"
#include "units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string err;
  if (auto d = jinx::parse_duration(text, &err)) {
    if (*d < 0) __builtin_trap();
    std::string again = jinx::format_duration(*d);
    std::string err2;
    auto back = jinx::parse_duration(again, &err2);
    // format_duration prints seconds with %g: allow its rounding.
    if (!back || (*back - *d > *d / 1000 + 1) || (*d - *back > *d / 1000 + 1)) __builtin_trap();
  } else if (err.empty()) {
    __builtin_trap();
  }
  err.clear();
  if (auto s = jinx::parse_size(text, &err)) {
    (void)s;
  } else if (err.empty()) {
    __builtin_trap();
  }
  err.clear();
  if (auto r = jinx::parse_rate(text, &err)) {
    if (!(*r >= 0)) __builtin_trap();
  } else if (err.empty()) {
    __builtin_trap();
  }
  err.clear();
  if (auto p = jinx::parse_percentage(text, &err)) {
    if (!(*p >= 0 && *p <= 1)) __builtin_trap();
  }
  std::string host;
  uint16_t port = 0;
  err.clear();
  if (jinx::split_host_port(text, &host, &port, &err)) {
    if (host.empty()) __builtin_trap();
  } else if (err.empty()) {
    __builtin_trap();
  }
  return 0;
}
