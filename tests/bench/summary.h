// summary.h — turns the Results of a suite into the markdown report: one
// table per group, a summary in the format of issue 5, and the issue's
// targets checked for jinx against haproxy and direct from the same run.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "report.h"
#include "suite.h"

namespace bench {

struct ReportInput {
  const Results* results;
  const SuiteOptions* options;
  std::vector<std::string> relays;    // labels, in table order (direct first)
  std::vector<std::string> variants;  // jinx toxic variants ("jinx+latency0ms")
};

void print_report(const ReportInput& in, FILE* out);

}  // namespace bench
