// report.cc — see report.h.
#include "report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace bench {

double load_average() {
  std::ifstream in("/proc/loadavg");
  double l = -1;
  in >> l;
  return l;
}

double median(std::vector<double> v) {
  return percentile(std::move(v), 50);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  // Linear interpolation between closest ranks: with two values the median
  // is their mean.
  double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

std::string fmt_num(double v, int decimals) {
  if (std::isnan(v)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  // Thousands separators on the integer part, for readability of MB/s and conn/s.
  std::string digits = buf, s;
  size_t dot = digits.find('.');
  size_t int_len = dot == std::string::npos ? digits.size() : dot;
  if (v < 0 && digits.find_first_not_of("0.") != std::string::npos) s.push_back('-');
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && i < int_len && (int_len - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

void Results::add(const std::string& relay, const std::string& figure, double value) {
  values_[relay][figure].push_back(value);
}

void Results::note(const std::string& relay, const std::string& figure, const std::string& text) {
  notes_[relay][figure] = text;
}

bool Results::has(const std::string& relay, const std::string& figure) const {
  auto r = values_.find(relay);
  return r != values_.end() && r->second.count(figure) != 0;
}

double Results::get(const std::string& relay, const std::string& figure) const {
  return has(relay, figure) ? median(values_.at(relay).at(figure)) : std::nan("");
}

std::string Results::cell(const std::string& relay, const std::string& figure, int decimals) const {
  if (has(relay, figure)) return fmt_num(get(relay, figure), decimals);
  auto r = notes_.find(relay);
  if (r != notes_.end() && r->second.count(figure) != 0) return r->second.at(figure);
  return "—";
}

namespace {
// Display width: count UTF-8 code points, not bytes ("—", "µ", "×").
size_t width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}
}  // namespace

std::string Table::str() const {
  // A column is right-aligned when every cell is a figure ("1,918",
  // "0.38 (1.2×)", "+72", "—"); text columns stay left-aligned.
  std::vector<bool> right(header_.size(), true);
  right[0] = false;
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size() && i < right.size(); ++i) {
      const std::string& c = r[i];
      bool figure = !c.empty() && (std::isdigit(static_cast<unsigned char>(c[0])) != 0 ||
                                   c[0] == '+' || c[0] == '-' || c.rfind("—", 0) == 0 ||
                                   c.rfind("≤", 0) == 0 || c.rfind("≥", 0) == 0);
      right[i] = right[i] && figure;
    }
  }
  std::vector<size_t> w(header_.size(), 3);
  auto measure = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size() && i < w.size(); ++i)
      w[i] = std::max(w[i], width(cells[i]));
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (size_t i = 0; i < w.size(); ++i) {
      std::string c = i < cells.size() ? cells[i] : "";
      std::string pad(w[i] - width(c), ' ');
      out += ' ';
      out += right[i] ? pad + c : c + pad;
      out += " |";
    }
    return out + "\n";
  };
  std::string out = line(header_);
  out += "|";
  for (size_t i = 0; i < w.size(); ++i)
    out += std::string(w[i] + 1, '-') + (right[i] ? ":|" : "-|");
  out += "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

}  // namespace bench
