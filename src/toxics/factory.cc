#include "toxics/factory.h"

namespace jinx {

std::unique_ptr<Stage> make_stage(std::string_view type, const StageParams& p) {
  struct Entry {
    std::string_view name;
    std::unique_ptr<Stage> (*make)(const StageParams&);
  };
  static const Entry table[] = {
      {"latency", make_latency},       {"bandwidth", make_bandwidth},
      {"slow_close", make_slow_close}, {"timeout", make_timeout},
      {"reset_peer", make_reset_peer}, {"slicer", make_slicer},
      {"limit_data", make_limit_data}, {"stall", make_stall},
      {"corrupt", make_corrupt},
  };
  for (const auto& e : table) {
    if (e.name == type) return e.make(p);
  }
  return nullptr;
}

}  // namespace jinx
