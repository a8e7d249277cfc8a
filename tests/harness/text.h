// Small string helpers for building scenarios and checking output.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jinx_test {

// Replaces every "{KEY}" in `tmpl` by its value. Only the listed keys are
// touched, so TOML inline tables like { from = 1, to = 2 } pass unharmed.
std::string fill(std::string tmpl,
                 std::initializer_list<std::pair<std::string_view, std::string>> vars);

std::vector<std::string> split_lines(std::string_view text);
bool contains(std::string_view haystack, std::string_view needle);

// Number of Unicode code points in a UTF-8 string (display columns for the
// block characters jinx draws).
size_t utf8_length(std::string_view s);

}  // namespace jinx_test
