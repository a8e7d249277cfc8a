#include "suggest.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace jinx {

size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 256 || b.size() > 256) return SIZE_MAX;  // no typo is that long
  auto same = [](char x, char y) { return std::tolower(x) == std::tolower(y); };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (auto c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  // Close enough to be a typo: a third of the word, at least one edit.
  size_t limit = std::max<size_t>(1, std::max(word.size(), best.size()) / 3);
  return best_distance <= limit ? best : std::string();
}

}  // namespace jinx
