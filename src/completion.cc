// Completion scripts for bash, zsh and fish, from one description of the
// command line (describe_command_line), itself read off the CLI11 App.
#include "completion.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "schema.h"

namespace jinx {
namespace {

// The choices of a CLI::IsMember check, which CLI11 shows as "TEXT:{json,text}".
std::vector<std::string> member_values(const CLI::Option& opt) {
  std::string type = opt.get_type_name();
  auto open = type.find(":{");
  auto close = type.find('}', open);
  std::vector<std::string> values;
  if (open == std::string::npos || close == std::string::npos) return values;
  std::string list = type.substr(open + 2, close - open - 2);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) values.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return values;
}

std::vector<std::string> toxic_type_names() {
  std::vector<std::string> names;
  for (const auto& type : toxic_catalog()) names.emplace_back(type.name);
  return names;
}

// What a value named `name` (a positional's name, an option's long name) completes to.
Completes completes_by_name(const std::string& name, std::vector<std::string>* values,
                            const std::vector<std::string>& subcommands) {
  if (!values->empty()) return Completes::values;
  if (name == "SCENARIO") return Completes::scenario_files;
  if (name == "SUBCOMMAND") {
    *values = subcommands;
    return Completes::subcommands;
  }
  if (name == "TYPE" || name == "type") {
    *values = toxic_type_names();
    return Completes::toxic_types;
  }
  return Completes::nothing;
}

CompletionCommand describe_app(const CLI::App& app, const std::vector<std::string>& subcommands) {
  CompletionCommand command{app.get_name(), app.get_description(), {}, Completes::nothing, {}, {},
                            false};
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional() && !opt->nonpositional()) {
      command.positional_name = opt->get_name(true);
      command.positional_values = member_values(*opt);
      command.positional =
          completes_by_name(command.positional_name, &command.positional_values, subcommands);
      continue;
    }
    CompletionOption option;
    for (const auto& l : opt->get_lnames()) option.names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) option.names.push_back("-" + s);
    option.description = opt->get_description();
    option.takes_value = opt->get_items_expected_max() != 0;  // flags expect none
    option.values = member_values(*opt);
    std::string long_name = opt->get_lnames().empty() ? "" : opt->get_lnames().front();
    if (option.takes_value) {
      option.value = completes_by_name(long_name, &option.values, subcommands);
    }
    command.options.push_back(std::move(option));
  }
  // `run` documents "-- COMMAND" in its description (CLI11 does not model it).
  command.wraps_command = command.description.find("-- COMMAND") != std::string::npos;
  return command;
}

// Text in single quotes for bash and zsh: ' becomes '\''.
std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string joined(const std::vector<std::string>& words, const std::string& separator = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

std::vector<std::string> option_words(const CompletionCommand& command) {
  std::vector<std::string> words;
  for (const auto& o : command.options) {
    for (const auto& n : o.names) words.push_back(n);
  }
  return words;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

CompletionSpec describe_command_line(const CLI::App& app) {
  CompletionSpec spec;
  spec.program = app.get_name();
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  spec.top = describe_app(app, names);
  spec.top.name.clear();
  spec.top.positional = Completes::subcommands;
  spec.top.positional_values = names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    spec.subcommands.push_back(describe_app(*sub, names));
  }
  return spec;
}

// bash: one function; the subcommand is the first word not starting with '-'
// (the program has no option that takes a value).
namespace {

std::string bash_positional(const CompletionCommand& c) {
  switch (c.positional) {
    case Completes::scenario_files:
      return "_jinx_scenarios";
    case Completes::values:
    case Completes::subcommands:
    case Completes::toxic_types:
      return "COMPREPLY=($(compgen -W " + single_quoted(joined(c.positional_values)) +
             " -- \"$cur\"))";
    case Completes::nothing:
      break;
  }
  return ":";
}

std::string bash_case(const CompletionCommand& c) {
  std::string out = "    " + (c.name.empty() ? std::string("\"\"") : c.name) + ")\n";
  std::string value_cases;
  for (const auto& o : c.options) {
    if (!o.takes_value) continue;
    std::string action = o.values.empty()
                             ? "return 0"
                             : "COMPREPLY=($(compgen -W " + single_quoted(joined(o.values)) +
                                   " -- \"$cur\")); return 0";
    value_cases += "        " + joined(o.names, "|") + ") " + action + " ;;\n";
  }
  if (!value_cases.empty()) out += "      case $prev in\n" + value_cases + "      esac\n";
  std::vector<std::string> words = option_words(c);
  if (c.name.empty()) {
    // Before the subcommand: the subcommands and the program's options.
    std::vector<std::string> all = c.positional_values;
    all.insert(all.end(), words.begin(), words.end());
    return out + "      COMPREPLY=($(compgen -W " + single_quoted(joined(all)) +
           " -- \"$cur\"))\n      ;;\n";
  }
  out += "      if [[ $cur == -* ]]; then\n        COMPREPLY=($(compgen -W " +
         single_quoted(joined(words)) + " -- \"$cur\"))\n      else\n        " +
         bash_positional(c) + "\n      fi\n      ;;\n";
  return out;
}

}  // namespace

std::string bash_completion(const CompletionSpec& spec) {
  const std::string& p = spec.program;
  std::string out = "# bash completion for " + p + ", generated by `" + p + " completion bash` (" +
                    p + " " JINX_VERSION ").\n\n";
  out += "# Scenario files (*.toml) and the directories that may hold them.\n_" + p +
         "_scenarios() {\n"
         "  local IFS=$'\\n'\n"
         "  compopt -o filenames 2>/dev/null\n"
         "  COMPREPLY=($(compgen -d -- \"$cur\") $(compgen -f -X '!*.toml' -- \"$cur\"))\n"
         "}\n\n";
  out += "_" + p +
         "() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub= i\n"
         "  # --format=json: bash splits the word at '='.\n"
         "  if [[ $prev == = && $COMP_CWORD -ge 2 ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; fi\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    case ${COMP_WORDS[i]} in\n"
         "      --)\n"
         "        # The wrapped command: a command name, then its arguments.\n"
         "        if ((i + 1 == COMP_CWORD)); then\n"
         "          COMPREPLY=($(compgen -c -- \"$cur\"))\n"
         "        else\n"
         "          compopt -o default 2>/dev/null\n"
         "          COMPREPLY=()\n"
         "        fi\n"
         "        return 0 ;;\n"
         "      -*) ;;\n"
         "      *) [[ -z $sub ]] && sub=${COMP_WORDS[i]} ;;\n"
         "    esac\n"
         "  done\n"
         "  case $sub in\n";
  out += bash_case(spec.top);
  for (const auto& c : spec.subcommands) out += bash_case(c);
  out += "  esac\n  return 0\n}\n\ncomplete -F _" + p + " " + p + "\n";
  return out;
}

// zsh: _arguments for each subcommand, _describe for the subcommands.
namespace {

// A description inside _arguments' [...]: brackets and colons escaped.
std::string zsh_bracketed(const std::string& text) {
  std::string out;
  for (char c : first_line(text)) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_value_action(Completes kind, const std::vector<std::string>& values) {
  switch (kind) {
    case Completes::scenario_files:
      return "_files -g \"*.toml\"";
    case Completes::values:
    case Completes::subcommands:
    case Completes::toxic_types:
      return "(" + joined(values) + ")";
    case Completes::nothing:
      break;
  }
  return " ";
}

std::string zsh_arguments(const CompletionCommand& c) {
  std::string out = "          _arguments -s";
  for (const auto& o : c.options) {
    std::string names = o.names.size() == 1 ? o.names[0] : "{" + joined(o.names, ",") + "}";
    std::string spec = "[" + zsh_bracketed(o.description) + "]";
    if (o.takes_value) {
      std::string name = o.names[0].substr(o.names[0].find_first_not_of('-'));
      spec += ":" + name + ":" + zsh_value_action(o.value, o.values);
    }
    bool exclusive = o.names[0] == "--help" || o.names[0] == "--version";
    std::string prefix = exclusive ? "'(- *)'" : "";
    std::string equals = o.takes_value && o.names.size() == 1 ? "=" : "";
    out += " \\\n            " + prefix + (o.names.size() == 1 ? "" : names) +
           single_quoted((o.names.size() == 1 ? o.names[0] + equals : "") + spec);
  }
  if (c.positional != Completes::nothing || !c.positional_name.empty()) {
    std::string message = c.positional_name;
    for (auto& ch : message) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out += " \\\n            " + single_quoted("*:" + message + ":" +
                                               zsh_value_action(c.positional, c.positional_values));
  }
  return out + " && ret=0\n";
}

}  // namespace

std::string zsh_completion(const CompletionSpec& spec) {
  const std::string& p = spec.program;
  std::string out = "#compdef " + p + "\n# zsh completion for " + p + ", generated by `" + p +
                    " completion zsh` (" + p + " " JINX_VERSION ").\n\n";
  out += "_" + p +
         "() {\n  local curcontext=$curcontext state line ret=1\n"
         "  typeset -A opt_args\n";
  CompletionCommand top = spec.top;
  top.positional = Completes::nothing;
  top.positional_name.clear();
  std::string top_args = zsh_arguments(top);
  top_args = top_args.substr(0, top_args.rfind(" && ret=0"));
  out += "  " + top_args.substr(10) +
         " \\\n            '1: :->subcommand' '*:: :->argument' "
         "&& ret=0\n";
  out += "  case $state in\n    subcommand)\n      local -a subcommands=(\n";
  for (const auto& c : spec.subcommands) {
    std::string name = c.name;
    out += "        " + single_quoted(name + ":" + first_line(c.description)) + "\n";
  }
  out += "      )\n      _describe -t subcommands " + single_quoted(p + " subcommand") +
         " subcommands && ret=0\n      ;;\n    argument)\n"
         "      curcontext=${curcontext%:*:*}:" +
         p +
         "-$words[1]:\n"
         "      case $words[1] in\n";
  for (const auto& c : spec.subcommands) {
    out += "        " + c.name + ")\n" + zsh_arguments(c) + "          ;;\n";
  }
  out +=
      "      esac\n      ;;\n  esac\n  return ret\n}\n\n"
      "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n  _" +
      p +
      " \"$@\"\nelse\n"
      "  compdef _" +
      p + " " + p + "\nfi\n";
  return out;
}

// fish: one `complete` line per subcommand, option and value list.
namespace {

std::string fish_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : first_line(text)) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_arguments(Completes kind, const std::vector<std::string>& values) {
  switch (kind) {
    case Completes::scenario_files:
      return " -a '(__fish_jinx_scenarios)'";
    case Completes::values:
    case Completes::subcommands:
    case Completes::toxic_types:
      return " -a " + fish_quoted(joined(values));
    case Completes::nothing:
      break;
  }
  return "";
}

std::string fish_command(const std::string& p, const CompletionCommand& c) {
  std::string condition =
      " -n " + fish_quoted("__fish_" + p + "_is " + (c.name.empty() ? "\"\"" : c.name));
  std::string out;
  for (const auto& o : c.options) {
    out += "complete -c " + p + condition;
    for (const auto& n : o.names)
      out += (n.size() > 2 ? " -l " + n.substr(2) : " -s " + n.substr(1));
    if (o.takes_value) out += " -x" + fish_arguments(o.value, o.values);
    out += " -d " + fish_quoted(o.description) + "\n";
  }
  if (c.positional != Completes::nothing) {
    out +=
        "complete -c " + p + condition + fish_arguments(c.positional, c.positional_values) + "\n";
  }
  return out;
}

}  // namespace

std::string fish_completion(const CompletionSpec& spec) {
  const std::string& p = spec.program;
  std::string out = "# fish completion for " + p + ", generated by `" + p + " completion fish` (" +
                    p + " " JINX_VERSION ").\n\n";
  out +=
      "# True when the subcommand on the command line is $argv[1] ('' = none yet).\n"
      "function __fish_" +
      p +
      "_is\n"
      "    set -l words (commandline -opc)\n"
      "    for word in $words[2..-1]\n"
      "        string match -q -- '-*' $word; and continue\n"
      "        test \"$word\" = \"$argv[1]\"\n"
      "        return\n"
      "    end\n"
      "    test -z \"$argv[1]\"\n"
      "end\n\n"
      "# Scenario files (*.toml) and the directories that may hold them.\n"
      "function __fish_" +
      p +
      "_scenarios\n"
      "    for path in (commandline -ct)*\n"
      "        if test -d $path\n"
      "            echo $path/\n"
      "        else if string match -q -- '*.toml' $path\n"
      "            echo $path\n"
      "        end\n"
      "    end\n"
      "end\n\n"
      "complete -c " +
      p + " -f\n";
  for (const auto& c : spec.subcommands) {
    out += "complete -c " + p + " -n " + fish_quoted("__fish_" + p + "_is \"\"") + " -a " + c.name +
           " -d " + fish_quoted(c.description) + "\n";
  }
  CompletionCommand top = spec.top;
  top.positional = Completes::nothing;
  out += fish_command(p, top);
  for (const auto& c : spec.subcommands) out += fish_command(p, c);
  return out;
}

}  // namespace jinx
