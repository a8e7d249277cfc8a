// `jinx completion bash|zsh|fish`: completion scripts generated from the
// CLI11 definition that also prints --help, so a new subcommand or option
// completes as soon as it exists.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace jinx {

// What to offer for an option's value or a positional argument.
enum class Completes { nothing, values, scenario_files, subcommands, toxic_types };

struct CompletionOption {
  std::vector<std::string> names;  // "--format", "-h"
  std::string description;
  bool takes_value = false;
  Completes value = Completes::nothing;
  std::vector<std::string> values;  // for Completes::values (and toxic types, filled in)
};

struct CompletionCommand {
  std::string name;  // empty for the program itself
  std::string description;
  std::vector<CompletionOption> options;
  Completes positional = Completes::nothing;
  std::string positional_name;  // "SCENARIO"
  std::vector<std::string> positional_values;
  bool wraps_command = false;  // takes "-- COMMAND [ARG...]"
};

struct CompletionSpec {
  std::string program;
  CompletionCommand top;  // the program's own options
  std::vector<CompletionCommand> subcommands;
};

// Walks `app`: subcommands, options, the values a CLI::IsMember check allows.
// Positionals complete by name: SCENARIO = *.toml files, SUBCOMMAND = the
// subcommands, TYPE = the toxic types.
CompletionSpec describe_command_line(const CLI::App& app);

std::string bash_completion(const CompletionSpec& spec);
std::string zsh_completion(const CompletionSpec& spec);
std::string fish_completion(const CompletionSpec& spec);

// Prints the script for `shell` (bash, zsh or fish); 2 for another shell.
int completion_command(const CLI::App& app, const std::string& shell);

}  // namespace jinx
