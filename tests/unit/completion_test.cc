// The command-line walk behind `jinx completion` (issue 15): what it reads off
// a CLI11 App. The scripts themselves are tested in the shells
// (tests/completion/run.sh).
#include "completion.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>

namespace jinx {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_CASE("completion: subcommands, options, values and positionals from the App") {
  CLI::App app{"test", "jinx"};
  std::string file, format, type, topic;
  bool quiet = false;
  auto* run = app.add_subcommand("run", "Run: jinx run SCENARIO [-- COMMAND [ARG...]]");
  run->add_option("SCENARIO", file, "a file");
  run->add_option("--format", format, "format")->check(CLI::IsMember({"json", "text"}));
  run->add_flag("--quiet", quiet, "quiet");
  auto* show = app.add_subcommand("show", "Show a type");
  show->add_option("TYPE", type, "a toxic type");
  auto* help = app.add_subcommand("help", "Help");
  help->add_option("SUBCOMMAND", topic, "a subcommand");

  CompletionSpec spec = describe_command_line(app);
  REQUIRE(spec.subcommands.size() == 3);
  const CompletionCommand& r = spec.subcommands[0];
  CHECK(r.name == "run");
  CHECK(r.positional == Completes::scenario_files);
  CHECK(r.wraps_command);
  auto format_option = std::find_if(r.options.begin(), r.options.end(),
                                    [](const auto& o) { return has(o.names, "--format"); });
  REQUIRE(format_option != r.options.end());
  CHECK(format_option->takes_value);
  CHECK(format_option->values == std::vector<std::string>{"json", "text"});
  auto quiet_option = std::find_if(r.options.begin(), r.options.end(),
                                   [](const auto& o) { return has(o.names, "--quiet"); });
  REQUIRE(quiet_option != r.options.end());
  CHECK_FALSE(quiet_option->takes_value);

  CHECK(spec.subcommands[1].positional == Completes::toxic_types);
  CHECK(has(spec.subcommands[1].positional_values, "latency"));
  CHECK(spec.subcommands[2].positional == Completes::subcommands);
  CHECK(has(spec.subcommands[2].positional_values, "show"));

  std::string bash = bash_completion(spec);
  CHECK(bash.find("complete -F _jinx jinx") != std::string::npos);
  CHECK(zsh_completion(spec).rfind("#compdef jinx", 0) == 0);
  CHECK(fish_completion(spec).find("-l format -x -a 'json text'") != std::string::npos);
}

}  // namespace
}  // namespace jinx
