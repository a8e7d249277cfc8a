// Words the test programs share: sizes, a measured figure on stdout, and a
// [[proxy]] table on loopback.
#pragma once

#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>

// Prints a measured figure (configured value beside measured one) on
// stdout, without the INFO context that doctest's MESSAGE would repeat.
#define MEASURED(...)                                           \
  do {                                                          \
    std::ostringstream measured_;                               \
    measured_ << __VA_ARGS__;                                   \
    std::cout << "[measured] " << measured_.str() << std::endl; \
  } while (0)

namespace jinx_test {

constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;

// A [[proxy]] table listening on 127.0.0.1, port 0.
inline std::string proxy_toml(const std::string& name, const std::string& upstream,
                              const std::string& extra = "") {
  return "[[proxy]]\nname = \"" + name + "\"\nlisten = \"127.0.0.1:0\"\nupstream = \"" + upstream +
         "\"\n" + extra + "\n";
}

}  // namespace jinx_test
