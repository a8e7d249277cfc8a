// One problem found in a scenario file: where it is and what is wrong
// (SPEC 9). Printed as "FILE:LINE:COL: error: MESSAGE".
#pragma once

#include <string>

#include "scenario.h"

namespace jinx {

struct Diagnostic {
  SourcePos pos;
  bool warning = false;
  std::string message;
};

// "FILE:LINE:COL: error: MESSAGE", compiler style.
std::string format_diagnostic(const std::string& file, const Diagnostic& d);

}  // namespace jinx
