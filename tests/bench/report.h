// report.h — collecting figures across runs and printing them as markdown.
//
// Each figure is recorded once per run and per relay; the report prints the
// median over runs (with 2 runs, the mean of the two), so one unlucky run on
// a shared 2-core machine moves a figure half as much.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace bench {

double median(std::vector<double> v);
// The 1-minute load average: the figures assume the machine is otherwise
// idle, so the reports show it at the start and at the end.
double load_average();
double percentile(std::vector<double> v, double p);  // p in [0, 100]

// "1,918" / "0.38" / "72.4": a number for a table cell.
std::string fmt_num(double v, int decimals);

class Results {
 public:
  void add(const std::string& relay, const std::string& figure, double value);
  void note(const std::string& relay, const std::string& figure, const std::string& text);
  bool has(const std::string& relay, const std::string& figure) const;
  double get(const std::string& relay, const std::string& figure) const;  // median
  // The median formatted, or the note, or "—".
  std::string cell(const std::string& relay, const std::string& figure, int decimals) const;

 private:
  std::map<std::string, std::map<std::string, std::vector<double>>> values_;
  std::map<std::string, std::map<std::string, std::string>> notes_;
};

// A markdown table whose columns are padded to line up in a terminal too.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace bench
