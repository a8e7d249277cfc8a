// jinx check: validates files, one summary line each.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "scenario_file.h"
#include "schedule.h"

namespace jinx {

int check_command(const std::vector<std::string>& files) {
  int exit_code = 0;
  for (const auto& path : files) {
    std::string name = path == "-" ? "<stdin>" : path;
    std::optional<Scenario> scenario = load_and_report(path);
    if (!scenario) {
      exit_code = kUsageError;
      continue;
    }
    const Scenario& s = *scenario;
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

Runner declare_check(CLI::App& sub, const Invocation& /*invocation*/) {
  auto files = std::make_shared<std::vector<std::string>>();
  sub.add_option("SCENARIO", *files, "Scenario files, or - for standard input")->required();
  sub.footer(
      "Exit codes: 0 every file is valid, 1 stdout could not be written, 2 bad usage or\n"
      "an invalid file, 141 stdout's reader went away.");
  return [files] { return check_command(*files); };
}

}  // namespace jinx
