// jinx plan: the resolved timeline, as a terminal chart or JSON lines. The
// windows come from the same schedule expansion `run` uses, with the same
// seed, so the plan is what will happen.
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "random.h"
#include "scenario_file.h"
#include "schedule.h"

namespace jinx {
namespace {

// Windows of every toxic up to `horizon` (the session duration, or a span
// that shows the pattern when the session has no end).
struct Row {
  const ToxicSpec* toxic;
  std::vector<Window> windows;
  bool cut = false;  // more windows than kMaxWindows
};

// Windows shown per toxic; `run` has no such limit, so a cut is said.
constexpr size_t kMaxWindows = 100000;

// Does the plan depend on the seed? Only ranged starts and lengths move
// windows; toxicity and the other draws do not show in a plan.
bool has_random_windows(const Scenario& s) {
  return std::any_of(s.toxics.begin(), s.toxics.end(), [](const ToxicSpec& t) {
    return t.schedule.start.lo != t.schedule.start.hi ||
           (t.schedule.duration && t.schedule.duration->lo != t.schedule.duration->hi);
  });
}

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
    for (uint64_t k = 0;; ++k) {
      auto w = window_at(t, k, seed, s.duration ? s.duration : std::optional<Micros>(horizon));
      if (!w) break;
      if (row.windows.size() == kMaxWindows) {
        row.cut = true;
        break;
      }
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

// The time axis: ticks at round times (1s, 2s, 5s, 10s, 15s, 30s, 1m, ...),
// about every 12 columns, each labelled where it falls, within `cols`.
std::string axis_line(Micros horizon, int cols) {
  static const Micros steps[] = {
      100 * kMicrosPerMs,     250 * kMicrosPerMs,     500 * kMicrosPerMs,
      kMicrosPerSecond,       2 * kMicrosPerSecond,   5 * kMicrosPerSecond,
      10 * kMicrosPerSecond,  15 * kMicrosPerSecond,  30 * kMicrosPerSecond,
      60 * kMicrosPerSecond,  120 * kMicrosPerSecond, 300 * kMicrosPerSecond,
      600 * kMicrosPerSecond, 900 * kMicrosPerSecond, 1800 * kMicrosPerSecond,
      3600 * kMicrosPerSecond};
  double per_col = static_cast<double>(horizon) / cols;
  Micros step = steps[0];
  for (Micros candidate : steps) {
    step = candidate;
    if (static_cast<double>(candidate) / per_col >= 12) break;
  }
  std::string axis(static_cast<size_t>(cols), ' ');
  int free_from = 0;
  for (Micros t = 0; t < horizon; t += step) {
    int c = static_cast<int>(static_cast<double>(t) / per_col);
    std::string tick = "|" + format_duration(t);
    if (c < free_from || c + static_cast<int>(tick.size()) > cols) continue;
    axis.replace(static_cast<size_t>(c), tick.size(), tick);
    free_from = c + static_cast<int>(tick.size()) + 1;
  }
  while (!axis.empty() && axis.back() == ' ') axis.pop_back();
  return axis;
}

// One toxic's windows as `cols` cells, shaded by a ramp's strength.
std::string row_cells(const Row& row, Micros horizon, int cols) {
  static const char* shades[] = {"\u2591", "\u2592", "\u2593", "\u2588"};
  double per_col = static_cast<double>(horizon) / cols;
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
  return line;
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
  // The chart fits `width`: at least 10 columns of time, the names cut to
  // what is left (and to 40 characters).
  label = std::min<size_t>(label, 40);
  int cols = std::max(10, width - static_cast<int>(label) - 1);
  label = std::min<size_t>(label, static_cast<size_t>(std::max(1, width - 1 - cols)));
  std::printf("%*s %s\n", static_cast<int>(label), "", axis_line(horizon, cols).c_str());
  for (const auto& row : rows) {
    std::string name = row.toxic->name + " (" + s.proxies[row.toxic->proxy].name + ")";
    if (name.size() > label) name = name.substr(0, label);
    std::printf("%-*s %s\n", static_cast<int>(label), name.c_str(),
                row_cells(row, horizon, cols).c_str());
  }
}

}  // namespace

int plan_command(const PlanOptions& options) {
  std::optional<Scenario> scenario = load_and_report(options.file);
  if (!scenario) return kUsageError;
  const Scenario& s = *scenario;
  uint64_t seed = options.seed ? *options.seed : s.seed ? *s.seed : random_seed();
  if (!options.seed && !s.seed && has_random_windows(s)) {
    std::fprintf(stderr,
                 "jinx: the scenario has no seed; this plan uses seed %llu "
                 "(pass --seed to run and plan alike)\n",
                 static_cast<unsigned long long>(seed));
  }
  Micros horizon = horizon_of(s, seed);
  auto rows = rows_of(s, seed, horizon);
  for (const auto& row : rows) {
    if (row.cut) {
      std::fprintf(stderr,
                   "jinx: warning: toxic '%s' has more than %zu windows; the plan shows the "
                   "first %zu (run plays them all)\n",
                   row.toxic->name.c_str(), kMaxWindows, kMaxWindows);
    }
  }
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

Runner declare_plan(CLI::App& sub, const Invocation& /*invocation*/) {
  struct Args {
    PlanOptions options;
    std::string format = "text";
    std::string seed;
    int width = 0;
  };
  auto args = std::make_shared<Args>();
  sub.add_option("SCENARIO", args->options.file, "Scenario file, or - for standard input")
      ->required();
  sub.add_option("--seed", args->seed, "Seed (overrides the scenario's)");
  sub.add_option("--width", args->width, "Chart width in columns (default: terminal, or 80)")
      ->check(CLI::Range(20, 1000));
  sub.add_option("--format", args->format, "text (a chart) or json (one window per line)")
      ->check(CLI::IsMember({"json", "text"}));
  sub.footer(
      "Exit codes: 0 plan printed, 1 stdout could not be written, 2 bad usage or an\n"
      "invalid scenario, 141 stdout's reader went away.");
  CLI::App* app = &sub;
  return [args, app] {
    if (!read_seed(app->count("--seed"), args->seed, &args->options.seed)) return kUsageError;
    if (args->width > 0) args->options.width = args->width;
    args->options.format = format_of(args->format);
    return plan_command(args->options);
  };
}

}  // namespace jinx
