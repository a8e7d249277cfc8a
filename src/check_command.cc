// jinx check: validates files, one summary line each.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "loader.h"
#include "schedule.h"

namespace jinx {

int check_command(const std::vector<std::string>& files) {
  int exit_code = 0;
  for (const auto& path : files) {
    LoadResult result = load_scenario_file(path);
    std::string name = path == "-" ? "<stdin>" : path;
    for (const auto& d : result.diagnostics) {
      std::fprintf(stderr, "%s\n", format_diagnostic(name, d).c_str());
    }
    if (!result.ok()) {
      exit_code = 2;
      continue;
    }
    const Scenario& s = *result.scenario;
    uint64_t seed = s.seed.value_or(0);
    constexpr size_t kCountUpTo = 100000;  // per toxic; beyond it, "more than"
    size_t windows = 0;
    bool unlimited = false;
    bool more = false;
    for (const auto& t : s.toxics) {
      if (unbounded_windows(t, s.duration)) {
        unlimited = true;
      } else {
        size_t n = windows_of(t, seed, s.duration, kCountUpTo + 1).size();
        more = more || n > kCountUpTo;
        windows += std::min(n, kCountUpTo);
      }
    }
    auto plural = [](size_t n, const char* word) {
      return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
    };
    std::printf("%s: ok: %s, %s, %s, %s\n", name.c_str(),
                (std::to_string(s.proxies.size()) + (s.proxies.size() == 1 ? " proxy" : " proxies"))
                    .c_str(),
                plural(s.toxics.size(), "toxic").c_str(),
                unlimited ? "unlimited windows"
                : more    ? ("more than " + plural(windows, "window")).c_str()
                          : plural(windows, "window").c_str(),
                s.duration ? format_duration(*s.duration).c_str() : "until stopped");
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace jinx
