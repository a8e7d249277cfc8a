// jinx: one-shot chaos sessions for TCP services.
//
// main() reads top to bottom: split off a wrapped command, parse the command
// line, dispatch to the subcommand. Exceptions stop here; exit codes follow
// SPEC 8 (2 for bad usage or an invalid scenario).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "completion.h"
#include "loader.h"
#include "schema.h"
#include "session.h"

namespace {

constexpr int kUsageError = 2;

const char* kFooter =
    "Scenario format: jinx-scenario(5). Events: one JSON object per line on stdout.\n"
    "Exit codes: 0 duration reached, 1 runtime failure, 2 bad usage or invalid\n"
    "scenario, 128+N stopped by signal N, or the wrapped COMMAND's status.";

// Parses --format, which the subcommands share.
jinx::EventFormat format_of(const std::string& text) {
  return text == "text" ? jinx::EventFormat::text : jinx::EventFormat::json;
}

// --seed of `sub`, if given: an unsigned 64-bit integer. False (with a
// message) when it was given but is not one.
bool read_seed(const CLI::App* sub, const std::string& text, std::optional<uint64_t>* seed) {
  if (sub->count("--seed") == 0) return true;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || text[0] == '-') {
    std::fprintf(stderr, "jinx: error: --seed: '%s' is not an unsigned 64-bit integer\n",
                 text.c_str());
    return false;
  }
  *seed = v;
  return true;
}

int run_command(const std::string& file, const std::string& format, std::optional<uint64_t> seed,
                const std::string& duration, const std::string& start_at, bool quiet,
                bool no_progress, std::vector<std::string> command) {
  jinx::RunOptions options;
  options.format = format_of(format);
  options.quiet = quiet;
  options.progress = !no_progress;
  options.command = std::move(command);
  options.seed = seed;
  if (!duration.empty()) {
    std::string err;
    if (duration == "inf") {
      options.duration = std::optional<jinx::Micros>();
    } else if (auto d = jinx::parse_duration(duration, &err)) {
      options.duration = *d == 0 ? std::optional<jinx::Micros>() : std::optional(*d);
    } else {
      std::fprintf(stderr, "jinx: error: --duration: %s\n", err.c_str());
      return kUsageError;
    }
  }
  if (!start_at.empty()) {
    std::string err;
    auto delay = jinx::parse_start_at(start_at, &err);
    if (!delay) {
      std::fprintf(stderr, "jinx: error: %s\n", err.c_str());
      return kUsageError;
    }
    options.start_delay = *delay;
  }
  jinx::LoadResult result = jinx::load_scenario_file(file);
  std::string name = file == "-" ? "<stdin>" : file;
  for (const auto& d : result.diagnostics) {
    std::fprintf(stderr, "%s\n", jinx::format_diagnostic(name, d).c_str());
  }
  if (!result.ok()) return kUsageError;
  jinx::Session session(std::move(*result.scenario), std::move(options));
  return session.run();
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that goes away must not kill the relay: writes fail with EPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  // Everything after the first "--" is the wrapped command, passed untouched.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> command;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      args.resize(i);
      break;
    }
  }

  CLI::App app{
      "jinx: one-shot chaos sessions. A TCP relay that plays a scenario of faults\n"
      "(latency, bandwidth, resets, outages...) between a program and its services.",
      "jinx"};
  app.set_version_flag("--version", std::string("jinx ") + JINX_VERSION);
  app.footer(kFooter);
  app.require_subcommand(0, 1);

  std::string file;
  std::string format = "json";
  std::string seed;
  std::string duration;
  std::string start_at;
  bool quiet = false;
  bool no_progress = false;
  auto* run = app.add_subcommand(
      "run", "Run a chaos session: jinx run [OPTIONS] SCENARIO [-- COMMAND [ARG...]]");
  run->add_option("SCENARIO", file, "Scenario file, or - for standard input")->required();
  run->add_option("--format", format, "Event format on stdout")
      ->check(CLI::IsMember({"json", "text"}))
      ->default_str("json");
  run->add_option("--seed", seed, "Seed for every random draw (overrides the scenario's)");
  run->add_option("--duration", duration,
                  "Session length, overrides the scenario's; 0s or inf = until stopped");
  run->add_option("--start-at", start_at,
                  "Bind now, start the timeline at TIME: RFC 3339 (2026-12-01T10:00:00Z) or +DUR");
  run->add_flag("--quiet", quiet, "No per-connection events (conn_*)");
  run->add_flag("--no-progress", no_progress, "No status line on stderr");
  run->footer(
      "With -- COMMAND, jinx binds every listener, sets JINX_<PROXY>=host:port for each proxy,\n"
      "runs COMMAND (no shell; its stdout goes to jinx's stderr), ends the session when it\n"
      "exits and exits with its status.");

  std::vector<std::string> check_files;
  auto* check = app.add_subcommand("check", "Validate scenario files");
  check->add_option("SCENARIO", check_files, "Scenario files, or - for standard input")->required();

  jinx::PlanOptions plan_options;
  std::string plan_format = "text";
  std::string plan_seed;
  int plan_width = 0;
  auto* plan = app.add_subcommand("plan", "Show every window of every toxic, as run would play it");
  plan->add_option("SCENARIO", plan_options.file, "Scenario file, or - for standard input")
      ->required();
  plan->add_option("--seed", plan_seed, "Seed (overrides the scenario's)");
  plan->add_option("--width", plan_width, "Chart width in columns (default: terminal, or 80)")
      ->check(CLI::Range(20, 1000));
  plan->add_option("--format", plan_format, "text (a chart) or json (one window per line)")
      ->check(CLI::IsMember({"json", "text"}));

  std::string toxics_format = "text";
  auto* toxics = app.add_subcommand("toxics", "List every toxic type with its attributes");
  toxics->add_option("--format", toxics_format, "text or json")
      ->check(CLI::IsMember({"json", "text"}));

  auto* schema = app.add_subcommand("schema", "Print a JSON Schema of scenario files, for editors");
  std::string shell;
  auto* completion =
      app.add_subcommand("completion", "Print a completion script for bash, zsh or fish");
  completion->add_option("SHELL", shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));

  std::string help_topic;
  auto* help = app.add_subcommand("help", "Show help for a subcommand");
  help->add_option("SUBCOMMAND", help_topic, "run, check, plan, toxics, schema or completion");

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
    bool any_subcommand = run->parsed() || check->parsed() || plan->parsed() || toxics->parsed() ||
                          schema->parsed() || completion->parsed() || help->parsed();
    if (!any_subcommand && !args.empty() && !args[0].empty() && args[0][0] != '-') {
      std::fprintf(stderr, "jinx: error: unknown subcommand '%s'; see 'jinx --help'\n",
                   args[0].c_str());
    } else {
      std::fprintf(stderr, "jinx: error: %s\nRun 'jinx --help' for more information.\n", e.what());
    }
    return kUsageError;
  }
  if (!command.empty() && !run->parsed()) {
    std::fprintf(stderr, "jinx: error: '-- COMMAND' goes with 'jinx run'\n");
    return kUsageError;
  }

  try {
    if (run->parsed()) {
      std::optional<uint64_t> run_seed;
      if (!read_seed(run, seed, &run_seed)) return kUsageError;
      return run_command(file, format, run_seed, duration, start_at, quiet, no_progress, command);
    }
    if (check->parsed()) return jinx::check_command(check_files);
    if (plan->parsed()) {
      if (!read_seed(plan, plan_seed, &plan_options.seed)) return kUsageError;
      if (plan_width > 0) plan_options.width = plan_width;
      plan_options.format = format_of(plan_format);
      return jinx::plan_command(plan_options);
    }
    if (toxics->parsed()) return jinx::toxics_command(format_of(toxics_format));
    if (schema->parsed()) return jinx::schema_command();
    if (completion->parsed()) return jinx::completion_command(app, shell);
    if (help->parsed()) {
      if (help_topic.empty()) {
        // Not app.help(): it would describe the `help` subcommand just parsed.
        std::printf(
            "%s", app.get_formatter()->make_help(&app, "jinx", CLI::AppFormatMode::Normal).c_str());
        return 0;
      }
      for (auto* sub : {run, check, plan, toxics, schema, completion}) {
        if (sub->get_name() == help_topic) {
          std::printf("%s", sub->help("jinx").c_str());
          return 0;
        }
      }
      std::fprintf(stderr, "jinx: error: no subcommand '%s'; try 'jinx --help'\n",
                   help_topic.c_str());
      return kUsageError;
    }
    std::fprintf(stderr, "%s", app.help().c_str());
    return kUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jinx: error: %s\n", e.what());
    return 1;
  }
}
