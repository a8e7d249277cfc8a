// libFuzzer target: whole scenario files through the loader. Any input must
// give either a scenario or diagnostics with positions, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "loader.h"
#include "schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  jinx::LoadResult result = jinx::load_scenario_text(text, "fuzz.toml");
  for (const auto& d : result.diagnostics) {
    if (d.message.empty()) __builtin_trap();  // every diagnostic says something
    (void)jinx::format_diagnostic("fuzz.toml", d);
  }
  if (result.ok()) {
    if (result.scenario->proxies.empty()) __builtin_trap();  // validation promises one
    for (const auto& t : result.scenario->toxics) {
      (void)jinx::windows_of(t, 1, result.scenario->duration, 64);
    }
  }
  return 0;
}
