// plan and scenario input (issue 9 #15, #19, papercuts): the chart honours
// --width whatever the names, a cut plan says so, a plan with nothing random
// does not ask for a seed, and reading a scenario stops at its size limit.
#include "e2e.h"

using namespace jinx_test;

namespace {

std::string long_named_toxics(const std::string& schedule) {
  return "duration = \"1m\"\n" + proxy_toml("a-proxy-with-a-rather-long-name", "127.0.0.1:9") +
         "[[toxic]]\nname = \"a-toxic-with-a-name-longer-than-any-chart\"\n"
         "proxy = \"a-proxy-with-a-rather-long-name\"\ntype = \"stall\"\n" +
         schedule + "\n";
}

}  // namespace

TEST_SUITE("plan") {
  TEST_CASE("plan: --width 20 gives rows of at most 20 columns, long names included") {
    TempDir dir;
    std::string path = dir.write("long.toml", long_named_toxics("start = \"10s\"\n"));
    for (int width : {20, 33, 60}) {
      CAPTURE(width);
      Completed c = run_jinx({"plan", "--width", std::to_string(width), path});
      INFO(c.report);
      CHECK(c.status.code == 0);
      REQUIRE(c.out.size() >= 3);
      for (size_t i = 1; i < c.out.size(); ++i) {  // the title line is free
        CAPTURE(c.out[i]);
        CHECK(utf8_length(c.out[i]) <= static_cast<size_t>(width));
      }
    }
  }

  TEST_CASE("plan: no seed warning when nothing random moves a window; one when it does") {
    TempDir dir;
    Completed fixed = run_jinx({"plan", dir.write("fixed.toml", long_named_toxics(""))});
    INFO(fixed.report);
    CHECK(fixed.status.code == 0);
    CHECK_FALSE(contains(fixed.err, "seed"));
    Completed ranged =
        run_jinx({"plan", dir.write("ranged.toml", long_named_toxics("start = \"1s..5s\"\n"))});
    INFO(ranged.report);
    CHECK(ranged.status.code == 0);
    CHECK(contains(ranged.err, "has no seed"));
  }

  TEST_CASE("plan: more windows than it shows is said, not silent") {
    TempDir dir;
    std::string path =
        dir.write("many.toml", "duration = \"1h\"\n" + proxy_toml("p", "127.0.0.1:9") +
                                   "[[toxic]]\nname = \"blink\"\nproxy = \"p\"\ntype = \"stall\"\n"
                                   "duration = \"1ms\"\nevery = \"10ms\"\n");
    Completed c = run_jinx({"plan", "--format", "json", path}, {}, 30000ms);
    CHECK(c.status.code == 0);
    CHECK(c.out.size() == 100000);
    CHECK(contains(c.err, "toxic 'blink' has more than 100000 windows"));
  }

  TEST_CASE("input: a scenario on stdin is read no further than the 4 MiB limit") {
    // `yes | jinx check -` must not grow without bound: jinx reads one byte
    // past the limit, stops, and names the limit (the size of an endless
    // stdin is unknown).
    JinxOptions opts;
    opts.stdin_text = std::string(5 * MiB, '#');
    Completed c = run_jinx({"check", "-"}, opts, 10000ms);
    INFO(c.report);
    CHECK(c.status.code == 2);
    CHECK(contains(c.err, "<stdin>:1:1: error: file is too large (more than 4194304"));
  }
}  // TEST_SUITE
