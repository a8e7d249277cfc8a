// What a toxic's file needs to register a stage toxic: the registry's types
// and the stage interface.
#pragma once

#include <memory>

#include "stage.h"
#include "toxic_types.h"

namespace jinx {

// The stage of a stage toxic, from its registration; nullptr for a
// proxy-level kind (down, slow_open).
inline std::unique_ptr<Stage> make_stage(const StageParams& params) {
  return params.type.make != nullptr ? params.type.make(params) : nullptr;
}

}  // namespace jinx
