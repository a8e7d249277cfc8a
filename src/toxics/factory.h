// Builds the stage of a stream toxic from its resolved attribute values.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "random.h"
#include "stage.h"

namespace jinx {

// One delivery budget shared by every connection of a proxy in one direction
// (bandwidth with scope = "proxy"). Owned by the active toxic, which removes
// its stages before it goes away.
struct SharedBudget {
  double next_free = 0;  // session time (us) when the next piece may leave
};

struct StageParams {
  const std::vector<double>& attrs;  // base units, indexed like the type's attrs
  Rng rng;
  SharedBudget* budget = nullptr;
};

// nullptr for types that are not stages (down, slow_open).
std::unique_ptr<Stage> make_stage(std::string_view type, const StageParams& params);

// One constructor per file under src/toxics/.
std::unique_ptr<Stage> make_latency(const StageParams& p);
std::unique_ptr<Stage> make_bandwidth(const StageParams& p);
std::unique_ptr<Stage> make_slow_close(const StageParams& p);
std::unique_ptr<Stage> make_timeout(const StageParams& p);
std::unique_ptr<Stage> make_reset_peer(const StageParams& p);
std::unique_ptr<Stage> make_slicer(const StageParams& p);
std::unique_ptr<Stage> make_limit_data(const StageParams& p);
std::unique_ptr<Stage> make_stall(const StageParams& p);
std::unique_ptr<Stage> make_corrupt(const StageParams& p);

}  // namespace jinx
