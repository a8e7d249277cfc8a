// The parts of a [[toxic]] that concern HTTP proxies (SPEC 11): whether the
// type applies to its proxy's protocol, `match`, `first` and `nth`, and the
// text attributes of request toxics (body, headers).
#pragma once

#include <toml++/toml.h>

#include <string>

#include "scenario.h"
#include "value_reader.h"

namespace jinx {

// At most this many byte-level toxics with match, first or nth on one proxy
// (their bits in Chunk::picks).
constexpr int kMaxMatchBits = 32;

// match, first and nth of a toxic; `proxy` is the toxic's (nullptr when it
// names none). A byte-level toxic that has them takes the proxy's next free
// bit from *next_bit.
void load_request_keys(ValueReader& reader, const toml::table& t, ToxicSpec& toxic,
                       const ProxySpec* proxy, int* next_bit);
// A Unit::text attribute (a string) or Unit::headers one (a table of
// strings, kept as "Name: value\r\n" lines); false when it is invalid.
bool load_text_attr(ValueReader& reader, const toml::table& t, const ToxicSpec& toxic,
                    const AttrSpec& a, std::string* text);

}  // namespace jinx
