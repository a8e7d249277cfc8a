// Inputs that fuzzing found to break jinx, kept so they stay fixed. Each
// file under tests/fuzz/regressions/ is replayed through the check of the
// fuzz target that found it.
#include <doctest/doctest.h>

#include <string>

#include "units.h"

TEST_CASE("fuzz regression: a duration with minutes and microseconds formats and parses back") {
  // "05m5m64us" = 10 minutes and 64 us; format_duration printed "10m6.4e-05s".
  std::string err;
  auto d = jinx::parse_duration("05m5m64us", &err);
  REQUIRE(d);
  CHECK(*d == 600000064);
  CHECK(jinx::format_duration(*d) == "10m0.000064s");
  auto back = jinx::parse_duration(jinx::format_duration(*d), &err);
  REQUIRE(back);
  CHECK(*back == *d);
  CHECK(jinx::format_duration(90 * jinx::kMicrosPerSecond) == "1m30s");
  CHECK(jinx::format_duration(3 * 60 * jinx::kMicrosPerSecond) == "3m0s");
  CHECK(jinx::format_duration(1500 * jinx::kMicrosPerMs) == "1.5s");
  CHECK(jinx::format_duration(3600 * jinx::kMicrosPerSecond) == "1h0m0s");
}

#include <filesystem>
#include <fstream>
#include <sstream>

#include "loader.h"
#include "schedule.h"

TEST_CASE("fuzz regression: every loader input found by fuzzing loads without a crash") {
  // loader-every-zero.toml: `every = "0s"` was reported and then kept, and a
  // later check divided by it.
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(JINX_SOURCE_DIR "/tests/fuzz/regressions")) {
    if (entry.path().filename().string().rfind("loader-", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto result = jinx::load_scenario_text(text.str(), "fuzz.toml");
    CHECK((result.ok() || !result.diagnostics.empty()));
    ++files;
  }
  CHECK(files >= 1);
  auto r = jinx::load_scenario_text(
      "duration = \"1m\"\n[[proxy]]\nname = \"p\"\nlisten = \"127.0.0.1:0\"\n"
      "upstream = \"127.0.0.1:1\"\n[[toxic]]\nproxy = \"p\"\ntype = \"stall\"\n"
      "duration = \"0s\"\nevery = \"0s\"\nrepeat = 3\n",
      "f.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.diagnostics.front().message == "every must be at least 1ms");
}
