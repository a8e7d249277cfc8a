// jinx completion SHELL: prints a completion script generated from the
// same CLI11 definition as --help (see completion.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "completion.h"

namespace jinx {

int completion_command(const CLI::App& app, const std::string& shell) {
  CompletionSpec spec = describe_command_line(app);
  std::string script;
  if (shell == "bash") {
    script = bash_completion(spec);
  } else if (shell == "zsh") {
    script = zsh_completion(spec);
  } else if (shell == "fish") {
    script = fish_completion(spec);
  } else {
    std::fprintf(stderr, "jinx: error: no completion for '%s'; try bash, zsh or fish\n",
                 shell.c_str());
    return 2;
  }
  std::fwrite(script.data(), 1, script.size(), stdout);
  std::fflush(stdout);
  return 0;
}

Runner declare_completion(CLI::App& sub, const Invocation& /*invocation*/) {
  auto shell = std::make_shared<std::string>();
  sub.add_option("SHELL", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  sub.footer("Exit codes: 0 printed, 1 stdout could not be written, 2 bad usage.");
  // The script describes the whole command line: the root app, not `sub`.
  return [&sub, shell] { return completion_command(*sub.get_parent(), *shell); };
}

}  // namespace jinx
