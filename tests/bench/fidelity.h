// fidelity.h — `jinx_bench fidelity`: for every toxic type of SPEC section 5,
// runs jinx with that toxic and prints what was configured beside what was
// measured on loopback (issue 3).
#pragma once

#include <set>
#include <string>

#include "relays.h"

namespace bench {

// Returns the exit status: 0 if every check ran and met its tolerance.
int run_fidelity(const std::string& jinx_binary, const Workdir& dir, bool quick,
                 const std::set<std::string>& only);

}  // namespace bench
