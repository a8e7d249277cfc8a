#include "text.h"

namespace jinx_test {

std::string fill(std::string tmpl,
                 std::initializer_list<std::pair<std::string_view, std::string>> vars) {
  for (const auto& [key, value] : vars) {
    std::string token = "{" + std::string(key) + "}";
    for (size_t pos = tmpl.find(token); pos != std::string::npos;
         pos = tmpl.find(token, pos + value.size()))
      tmpl.replace(pos, token.size(), value);
  }
  return tmpl;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = nl + 1;
  }
  return lines;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

}  // namespace jinx_test
