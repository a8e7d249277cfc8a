// jinx: one-shot chaos sessions for TCP services.
//
// main() reads top to bottom: make the standard descriptors safe, split off a
// wrapped command, declare the subcommands from the table below, parse, run
// the one given, and let stdout's fate have the last word on the exit code.
// Exceptions stop here; exit codes follow SPEC 8 (2 for bad usage).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"

namespace {

using jinx::Runner;
using jinx::Subcommand;

// The subcommands, as ninja's tools: adding one is a row here and its
// declare function (in its *_command.cc).
const Subcommand kSubcommands[] = {
    {"run", "Run a chaos session: jinx run [OPTIONS] SCENARIO [-- COMMAND [ARG...]]",
     jinx::declare_run},
    {"check", "Validate scenario files", jinx::declare_check},
    {"plan", "Show every window of every toxic, as run would play it", jinx::declare_plan},
    {"toxics", "List every toxic type with its attributes", jinx::declare_toxics},
    {"schema", "Print a JSON Schema of scenario files, for editors", jinx::declare_schema},
    {"completion", "Print a completion script for bash, zsh or fish", jinx::declare_completion},
};

const char* kFooter =
    "Scenario format: jinx-scenario(5). Events: one JSON object per line on stdout.\n"
    "Exit codes: 0 success, 1 runtime failure (or stdout could not be written), 2 bad\n"
    "usage or invalid scenario, 128+N stopped by signal N (141: stdout's reader went\n"
    "away), or the wrapped COMMAND's status; see 'jinx help SUBCOMMAND'.";

// libuv asserts that fds 0-2 are open, and a descriptor opened later must not
// become someone's "stdout" by accident: a closed one is reopened on /dev/null.
void reopen_missing_std_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int opened = open("/dev/null", O_RDWR);  // the lowest free number: fd itself
    if (opened >= 0 && opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
  }
}

// Everything after the first "--" is the wrapped command, passed untouched.
std::vector<std::string> split_wrapped_command(std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      std::vector<std::string> command(args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       args.end());
      args.resize(i);
      return command;
    }
  }
  return {};
}

// True when fd 1 is a pipe or socket whose reader has gone.
bool stdout_reader_gone() {
  pollfd p{STDOUT_FILENO, POLLOUT, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

// What was printed on stdout decides too: a reader that went away ends us
// as SIGPIPE would (141), any other write error is a failure (1). stdio
// keeps no error code, so it is the errno of the failed write (the
// subcommand's last fflush, or this one).
int settle_stdout(int exit_code) {
  int earlier = errno;
  bool failed = std::fflush(stdout) != 0;
  int err = failed ? errno : earlier;
  if (!failed && std::ferror(stdout) == 0) return exit_code;
  if (err == EPIPE || stdout_reader_gone()) return 128 + SIGPIPE;
  std::fprintf(stderr, "jinx: error: cannot write to stdout: %s\n",
               err != 0 ? std::strerror(err) : "write error");
  return 1;
}

// `jinx help [SUBCOMMAND]`.
int help(CLI::App& app, const std::string& topic) {
  if (topic.empty()) {
    // Not app.help(): it would describe the `help` subcommand just parsed.
    std::printf("%s",
                app.get_formatter()->make_help(&app, "jinx", CLI::AppFormatMode::Normal).c_str());
    return 0;
  }
  for (const auto& s : kSubcommands) {
    if (topic == s.name) {
      std::printf("%s", app.get_subcommand(s.name)->help("jinx").c_str());
      return 0;
    }
  }
  std::fprintf(stderr, "jinx: error: no subcommand '%s'; try 'jinx --help'\n", topic.c_str());
  return jinx::kUsageError;
}

int usage_error(const CLI::App& app, const std::vector<std::string>& args,
                const CLI::ParseError& e) {
  bool any_subcommand = !app.get_subcommands().empty();
  if (!any_subcommand && !args.empty() && !args[0].empty() && args[0][0] != '-') {
    std::fprintf(stderr, "jinx: error: unknown subcommand '%s'; see 'jinx --help'\n",
                 args[0].c_str());
  } else {
    std::fprintf(stderr, "jinx: error: %s\nRun 'jinx --help' for more information.\n", e.what());
  }
  return jinx::kUsageError;
}

int parse_and_run(std::vector<std::string> args) {
  jinx::Invocation invocation{split_wrapped_command(args)};
  CLI::App app{
      "jinx: one-shot chaos sessions. A TCP relay that plays a scenario of faults\n"
      "(latency, bandwidth, resets, outages...) between a program and its services.",
      "jinx"};
  app.set_version_flag("--version", std::string("jinx ") + JINX_VERSION);
  app.footer(kFooter);
  app.require_subcommand(0, 1);
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& s : kSubcommands) {
    CLI::App* sub = app.add_subcommand(s.name, s.description);
    runners.emplace_back(sub, s.declare(*sub, invocation));
  }
  std::string help_topic;
  auto* help_sub = app.add_subcommand("help", "Show help for a subcommand");
  help_sub->add_option("SUBCOMMAND", help_topic, "run, check, plan, toxics, schema or completion");

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, args, e);
  }
  if (!invocation.command.empty() && !app.get_subcommand("run")->parsed()) {
    std::fprintf(stderr, "jinx: error: '-- COMMAND' goes with 'jinx run'\n");
    return jinx::kUsageError;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  if (help_sub->parsed()) return help(app, help_topic);
  std::fprintf(stderr, "%s", app.help().c_str());
  return jinx::kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  reopen_missing_std_fds();
  // A peer that goes away must not kill the relay: writes fail with EPIPE,
  // and a closed stdout is handled as SIGPIPE would be (settle_stdout).
  std::signal(SIGPIPE, SIG_IGN);
  int exit_code = 0;
  try {
    exit_code = parse_and_run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jinx: error: %s\n", e.what());
    exit_code = 1;
  }
  return settle_stdout(exit_code);
}
