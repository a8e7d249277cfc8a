// "Did you mean ...?": the nearest known word to a typo.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jinx {

// Edits between two words, where a swap of neighbours counts as one edit
// ('tpye' -> 'type'), case-insensitive.
size_t edit_distance(std::string_view a, std::string_view b);

// The nearest of `candidates` to `word`, or empty when none is close enough
// to be a typo (within a third of the word's length, at least one edit).
std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace jinx
