// jinx plan: the resolved timeline, as a terminal chart or JSON lines. The
// windows come from the same schedule expansion `run` uses, with the same
// seed, so the plan is what will happen.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "loader.h"
#include "random.h"
#include "schedule.h"

namespace jinx {
namespace {

// Windows of every toxic up to `horizon` (the session duration, or a span
// that shows the pattern when the session has no end).
struct Row {
  const ToxicSpec* toxic;
  std::vector<Window> windows;
};

Micros horizon_of(const Scenario& s, uint64_t seed) {
  if (s.duration) return *s.duration;
  Micros horizon = 0;
  for (const auto& t : s.toxics) {
    if (unbounded_windows(t, s.duration)) {
      horizon = std::max(horizon, t.schedule.start.hi + 4 * *t.schedule.every);
      continue;
    }
    for (const auto& w : windows_of(t, seed, std::nullopt)) {
      horizon = std::max(horizon, w.end.value_or(w.start + 10 * kMicrosPerSecond));
    }
  }
  return horizon > 0 ? horizon : 60 * kMicrosPerSecond;
}

std::vector<Row> rows_of(const Scenario& s, uint64_t seed, Micros horizon) {
  std::vector<Row> rows;
  for (const auto& t : s.toxics) {
    Row row{&t, {}};
    for (uint64_t k = 0; row.windows.size() < 100000; ++k) {
      auto w = window_at(t, k, seed, s.duration ? s.duration : std::optional<Micros>(horizon));
      if (!w) break;
      row.windows.push_back(*w);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string seconds_text(Micros us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us) / kMicrosPerSecond);
  return buf;
}

void print_json(const Scenario& s, const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    for (const auto& w : row.windows) {
      std::string line = "{\"toxic\":";
      append_json_string(line, row.toxic->name);
      line += ",\"proxy\":";
      append_json_string(line, s.proxies[row.toxic->proxy].name);
      line += ",\"type\":";
      append_json_string(line, row.toxic->type->name);
      line += ",\"window\":" + std::to_string(w.index);
      line += ",\"start\":" + seconds_text(w.start);
      line += ",\"end\":" + (w.end ? seconds_text(*w.end) : std::string("null"));
      line += "}";
      std::printf("%s\n", line.c_str());
    }
  }
}

// The strength of a ramping toxic at a point of its window, 0..1, from the
// first ramped attribute (or toxicity).
double ramp_level(const ToxicSpec& t, double fraction) {
  const Param* p = t.toxicity.ramp ? &t.toxicity : nullptr;
  for (const auto& a : t.attrs) {
    if (p == nullptr && a.ramp) p = &a;
  }
  if (p == nullptr) return 1;
  double hi = std::max(std::abs(p->from), std::abs(p->to));
  return hi > 0 ? std::abs(p->at(fraction)) / hi : 1;
}

void print_text(const Scenario& s, const std::vector<Row>& rows, uint64_t seed, Micros horizon,
                int width) {
  std::printf("%s%sseed %llu, %s%s\n", s.name.c_str(), s.name.empty() ? "" : ": ",
              static_cast<unsigned long long>(seed),
              s.duration ? format_duration(*s.duration).c_str() : "until stopped",
              s.duration ? "" : (" (showing " + format_duration(horizon) + ")").c_str());
  size_t label = 0;
  for (const auto& row : rows) {
    label = std::max(label, row.toxic->name.size() + s.proxies[row.toxic->proxy].name.size() + 3);
  }
  label = std::min<size_t>(label, 40);
  int cols = std::max(10, width - static_cast<int>(label) - 1);
  double per_col = static_cast<double>(horizon) / cols;

  // Axis: ticks at round times (1s, 2s, 5s, 10s, 15s, 30s, 1m, ...), about
  // every 12 columns, each labelled where it falls.
  static const Micros steps[] = {
      100 * kMicrosPerMs,     250 * kMicrosPerMs,     500 * kMicrosPerMs,
      kMicrosPerSecond,       2 * kMicrosPerSecond,   5 * kMicrosPerSecond,
      10 * kMicrosPerSecond,  15 * kMicrosPerSecond,  30 * kMicrosPerSecond,
      60 * kMicrosPerSecond,  120 * kMicrosPerSecond, 300 * kMicrosPerSecond,
      600 * kMicrosPerSecond, 900 * kMicrosPerSecond, 1800 * kMicrosPerSecond,
      3600 * kMicrosPerSecond};
  Micros step = steps[0];
  for (Micros candidate : steps) {
    step = candidate;
    if (static_cast<double>(candidate) / per_col >= 12) break;
  }
  std::string axis(static_cast<size_t>(cols) + 16, ' ');
  int free_from = 0;
  for (Micros t = 0; t < horizon; t += step) {
    int c = static_cast<int>(static_cast<double>(t) / per_col);
    std::string tick = "|" + format_duration(t);
    if (c < free_from || c + static_cast<int>(tick.size()) > cols + 1) continue;
    axis.replace(static_cast<size_t>(c), tick.size(), tick);
    free_from = c + static_cast<int>(tick.size()) + 1;
  }
  while (!axis.empty() && axis.back() == ' ') axis.pop_back();
  std::printf("%*s %s\n", static_cast<int>(label), "", axis.c_str());

  static const char* shades[] = {"\u2591", "\u2592", "\u2593", "\u2588"};
  for (const auto& row : rows) {
    std::string name = row.toxic->name + " (" + s.proxies[row.toxic->proxy].name + ")";
    if (name.size() > label) name = name.substr(0, label);
    std::string line;
    for (int c = 0; c < cols; ++c) {
      Micros a = static_cast<Micros>(c * per_col);
      Micros b = static_cast<Micros>((c + 1) * per_col);
      const char* cell = "\u00b7";
      for (const auto& w : row.windows) {
        Micros end = w.end.value_or(horizon);
        if (w.start < b && end > a) {
          double span = static_cast<double>(end - w.start);
          double mid = static_cast<double>((a + b) / 2 - w.start);
          double level = ramp_level(*row.toxic, span > 0 ? std::clamp(mid / span, 0.0, 1.0) : 1);
          cell = shades[std::clamp(static_cast<int>(std::ceil(level * 4)) - 1, 0, 3)];
          break;
        }
      }
      line += cell;
    }
    std::printf("%-*s %s\n", static_cast<int>(label), name.c_str(), line.c_str());
  }
}

}  // namespace

int plan_command(const PlanOptions& options) {
  LoadResult result = load_scenario_file(options.file);
  std::string name = options.file == "-" ? "<stdin>" : options.file;
  for (const auto& d : result.diagnostics) {
    std::fprintf(stderr, "%s\n", format_diagnostic(name, d).c_str());
  }
  if (!result.ok()) return 2;
  const Scenario& s = *result.scenario;
  uint64_t seed = options.seed ? *options.seed : s.seed ? *s.seed : random_seed();
  if (!options.seed && !s.seed) {
    std::fprintf(stderr,
                 "jinx: the scenario has no seed; this plan uses seed %llu "
                 "(pass --seed to run and plan alike)\n",
                 static_cast<unsigned long long>(seed));
  }
  Micros horizon = horizon_of(s, seed);
  auto rows = rows_of(s, seed, horizon);
  if (options.format == EventFormat::json) {
    print_json(s, rows);
  } else {
    int width = 80;
    winsize ws{};
    if (options.width) {
      width = *options.width;
    } else if (isatty(STDOUT_FILENO) != 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
               ws.ws_col > 0) {
      width = ws.ws_col;
    }
    print_text(s, rows, seed, horizon, width);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace jinx
