// jinx schema: prints the JSON Schema of scenario files (see schema.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"
#include "schema.h"

namespace jinx {

int schema_command() {
  std::string schema = scenario_schema();
  std::fwrite(schema.data(), 1, schema.size(), stdout);
  std::fflush(stdout);
  return 0;
}

Runner declare_schema(CLI::App& sub, const Invocation& /*invocation*/) {
  sub.footer("Exit codes: 0 printed, 1 stdout could not be written.");
  return [] { return schema_command(); };
}

}  // namespace jinx
