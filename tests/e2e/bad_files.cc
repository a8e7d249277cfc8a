// Invalid scenarios (SPEC 9): every error located as FILE:LINE:COL: error:,
// all of them at once, exit 2, and nothing started (stdout empty).
#include <regex>
#include <set>

#include "e2e.h"

using namespace jinx_test;

namespace {

constexpr const char* kProxy = R"([[proxy]]
name = "p"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:1"
)";  // lines 1-4

// The lines named by "PATH:LINE:COL: error:" diagnostics in stderr.
std::set<int> error_lines(const std::string& err, const std::string& path) {
  std::set<int> lines;
  for (const std::string& l : split_lines(err)) {
    if (l.rfind(path + ":", 0) != 0) continue;
    static const std::regex re(R"(^:(\d+):(\d+): error: .+)");
    std::smatch m;
    std::string rest = l.substr(path.size());
    if (std::regex_match(rest, m, re)) lines.insert(std::stoi(m[1]));
  }
  return lines;
}

struct BadFile {
  std::string what;
  std::string text;
  int line;  // the line an error must name; 0 = any
};

}  // namespace

TEST_SUITE("bad_files") {
  TEST_CASE("bad files: each exits 2 with FILE:LINE:COL: error: and prints nothing on stdout") {
    std::string p = kProxy;
    std::vector<BadFile> table = {
        {"unknown key", p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"latency\"\nlatancy = \"1s\"\n",
         9},
        {"bare number duration",
         p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"latency\"\nlatency = 100\n", 9},
        {"TOML syntax", "[[proxy]]\nname = \"p\nlisten = \"127.0.0.1:0\"\n", 2},
        {"no proxy", "duration = \"1s\"\n", 0},
        {"proxy without upstream", "[[proxy]]\nname = \"p\"\nlisten = \"127.0.0.1:0\"\n", 0},
        {"bad proxy name",
         "[[proxy]]\nname = \"a b\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n", 2},
        {"duplicate proxy names", p + "\n" + p, 0},
        {"duplicate listen",
         "[[proxy]]\nname = \"a\"\nlisten = \"127.0.0.1:17005\"\nupstream = \"127.0.0.1:1\"\n"
         "[[proxy]]\nname = \"b\"\nlisten = \"127.0.0.1:17005\"\nupstream = \"127.0.0.1:1\"\n",
         0},
        {"toxic of an unknown proxy", p + "\n[[toxic]]\nproxy = \"nope\"\ntype = \"latency\"\n", 7},
        {"unknown toxic type", p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"lagency\"\n", 8},
        {"every shorter than duration",
         p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"stall\"\nduration = \"2s\"\nevery = \"1s\"\n",
         0},
        {"toxicity above 1", p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"stall\"\ntoxicity = 1.5\n",
         9},
        {"down with a stream",
         p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"down\"\nstream = \"upstream\"\n", 9},
        {"bad stream", p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"stall\"\nstream = \"sideways\"\n",
         9},
        {"bad size", p + "buffer = \"12XB\"\n", 5},
        {"bad rate", p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"bandwidth\"\nrate = \"fast\"\n", 9},
        {"missing required attribute", p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"bandwidth\"\n", 0},
        {"slicer variation >= average",
         p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"slicer\"\naverage_size = 10\nsize_variation = "
             "10\n",
         0},
        {"ramp without a window end",
         p + "\n[[toxic]]\nproxy = \"p\"\ntype = \"latency\"\nlatency = { from = \"0ms\", to = "
             "\"100ms\" }\n",
         0},
        {"negative seed", "seed = -4\n" + p, 1},
        {"bad scenario duration", "duration = \"soon\"\n" + p, 1},
    };
    TempDir dir;
    for (size_t i = 0; i < table.size(); ++i) {
      const BadFile& b = table[i];
      CAPTURE(b.what);
      std::string path = dir.write("bad" + std::to_string(i) + ".toml", b.text);
      Completed c = run_jinx({"run", path}, {}, 5000ms);
      INFO(c.report);
      CHECK(c.status.exited);
      CHECK(c.status.code == 2);
      CHECK(c.out.empty());
      std::set<int> lines = error_lines(c.err, path);
      CHECK_MESSAGE(!lines.empty(), "no " << path << ":LINE:COL: error: line on stderr");
      if (b.line) CHECK_MESSAGE(lines.count(b.line) == 1, "no error on line " << b.line);

      Completed k = run_jinx({"check", path}, {}, 5000ms);
      INFO(k.report);
      CHECK(k.status.code == 2);
      CHECK(error_lines(k.err, path) == lines);
    }
  }

  TEST_CASE("bad files: an unknown key suggests the nearest valid one") {
    TempDir dir;
    std::string path = dir.write(
        "typo.toml",
        std::string(kProxy) + "\n[[toxic]]\nproxy = \"p\"\ntype = \"latency\"\nlatancy = \"1s\"\n");
    Completed c = run_jinx({"check", path});
    INFO(c.report);
    CHECK(c.status.code == 2);
    CHECK(contains(c.err, path + ":9:1: error: "));
    CHECK(contains(c.err, "unknown key 'latancy' in [[toxic]]"));
    CHECK(contains(c.err, "did you mean 'latency'?"));
  }

  TEST_CASE("bad files: a duration without a unit says so") {
    TempDir dir;
    std::string path = dir.write(
        "unit.toml",
        std::string(kProxy) + "\n[[toxic]]\nproxy = \"p\"\ntype = \"latency\"\nlatency = 250\n");
    Completed c = run_jinx({"check", path});
    INFO(c.report);
    CHECK(c.status.code == 2);
    CHECK(contains(c.err, "duration needs a unit"));
  }

  TEST_CASE("bad files: all errors of a file are reported together") {
    TempDir dir;
    std::string path = dir.write("many.toml", std::string(kProxy) + R"(
[[toxic]]
proxy = "p"
type = "latency"
latency = 100
jiter = "5ms"

[[toxic]]
proxy = "ghost"
type = "stall"
)");
    Completed c = run_jinx({"check", path});
    INFO(c.report);
    CHECK(c.status.code == 2);
    std::set<int> lines = error_lines(c.err, path);
    CHECK(lines.count(9) == 1);   // latency = 100
    CHECK(lines.count(10) == 1);  // jiter
    CHECK(lines.count(13) == 1);  // proxy = "ghost"
  }

  TEST_CASE("bad files: a missing file exits 2") {
    Completed c = run_jinx({"run", "/nonexistent/jinx/scenario.toml"});
    INFO(c.report);
    CHECK(c.status.code == 2);
    CHECK(c.out.empty());
    CHECK(contains(c.err, "/nonexistent/jinx/scenario.toml"));
  }

}  // TEST_SUITE
