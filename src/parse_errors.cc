#include "parse_errors.h"

#include <cctype>
#include <cstdio>

namespace jinx {
namespace {

// Position (1-based) of byte `offset` in text.
SourcePos position_at(std::string_view text, size_t offset) {
  SourcePos pos{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++pos.column;  // columns count characters, not bytes
    }
  }
  return pos;
}

// Offset of the first byte that is not valid UTF-8, or npos.
size_t first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (length == 0 || (length == 2 && c < 0xC2) || i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

size_t offset_of(std::string_view text, SourcePos pos) {
  size_t offset = 0;
  for (uint32_t line = 1; line < pos.line && offset < text.size(); ++offset) {
    if (text[offset] == '\n') ++line;
  }
  for (uint32_t col = 1; col < pos.column && offset < text.size(); ++offset) {
    if ((static_cast<unsigned char>(text[offset]) & 0xC0) != 0x80) ++col;
  }
  return offset;
}

}  // namespace

Diagnostic tidy_parse_error(std::string_view text, SourcePos pos, std::string message) {
  if (auto paren = message.find(" (TOML_"); paren != std::string::npos) message.resize(paren);
  // "Error while parsing key-value pair: expected '='" -> "expected '=' (in a
  // key-value pair)": the problem first, its context after.
  const std::string prefix = "Error while parsing ";
  std::string context;
  if (message.rfind(prefix, 0) == 0) {
    auto colon = message.find(": ", prefix.size());
    if (colon != std::string::npos) {
      context = message.substr(prefix.size(), colon - prefix.size());
      message = message.substr(colon + 2);
    }
  }
  if (message.find("invalid utf-8") != std::string::npos) {
    size_t bad = first_invalid_utf8(text);
    if (bad != std::string_view::npos) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[bad]));
      return {position_at(text, bad), false, std::string("invalid UTF-8 (byte ") + hex + ")"};
    }
  }
  size_t at = offset_of(text, pos);
  if (context == "string" && (at >= text.size() || text[at] == '\n' || text[at] == '\r')) {
    // The line ended inside a string: point at its opening quote.
    size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    size_t quote = text.find_first_of("\"'", line_start);
    if (quote != std::string_view::npos && quote < at) {
      // The last quote that opens a string on this line.
      size_t last = quote;
      for (size_t q = quote; q != std::string_view::npos && q < at;
           q = text.find_first_of("\"'", q + 1)) {
        last = q;
      }
      return {position_at(text, last), false,
              "unterminated string: the line ends before its closing quote"};
    }
  }
  if (!message.empty()) message[0] = static_cast<char>(std::tolower(message[0]));
  if (!context.empty()) {
    bool vowel = std::string_view("aeiou").find(context[0]) != std::string_view::npos;
    message += std::string(" (in ") + (vowel ? "an " : "a ") + context + ")";
  }
  return {pos, false, message};
}

}  // namespace jinx
