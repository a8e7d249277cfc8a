// toml++'s parse errors, rewritten for people: lower case, the problem
// first, UTF-8 errors at the offending byte, unterminated strings at their
// opening quote, no internal macro names.
#pragma once

#include <string>
#include <string_view>

#include "loader.h"

namespace jinx {

// `pos` and `message` as toml++ reported them for `text`.
Diagnostic tidy_parse_error(std::string_view text, SourcePos pos, std::string message);

}  // namespace jinx
