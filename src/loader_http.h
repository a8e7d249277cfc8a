// The parts of a [[toxic]] that concern HTTP proxies (SPEC 11): whether the
// type applies to its proxy's protocol, `match`, `first` and `nth`, and the
// text attributes of request toxics (body, headers).
#pragma once

#include <toml++/toml.h>

#include <string>

#include "scenario.h"
#include "value_reader.h"

namespace jinx {

// match, first and nth of a request toxic.
void load_request_keys(ValueReader& reader, const toml::table& t, ToxicSpec& toxic);
// A Unit::text attribute (a string) or Unit::headers one (a table of
// strings, kept as "Name: value\r\n" lines); false when it is invalid.
bool load_text_attr(ValueReader& reader, const toml::table& t, const ToxicSpec& toxic,
                    const AttrSpec& a, std::string* text);

}  // namespace jinx
