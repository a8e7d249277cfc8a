// The live status line on stderr (only when stderr is a terminal): elapsed
// against total time as a bar, the active toxics, open connections, bytes up
// and down. Redrawn at most 10 times a second, cleared at exit.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "units.h"

namespace jinx {

class Session;
class Timeline;
class Proxy;

class StatusLine {
 public:
  // nullptr when stderr is not a terminal.
  static std::unique_ptr<StatusLine> create(Session& session, const Timeline& timeline,
                                            const std::vector<std::unique_ptr<Proxy>>& proxies,
                                            Micros t0, std::optional<Micros> duration);
  StatusLine(Session& session, const Timeline& timeline,
             const std::vector<std::unique_ptr<Proxy>>& proxies, Micros t0,
             std::optional<Micros> duration);
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  // Redraws if 100 ms have passed since the last drawing: at most 10 times a
  // second. A 100 ms timer calls it too, so a cleared line comes back soon.
  void maybe_draw();
  void clear();
  // Clears the line for good.
  void finish();

  // The line itself, for a given terminal width (tests call this).
  std::string render(int width) const;

 private:
  Session& session_;
  const Timeline& timeline_;
  const std::vector<std::unique_ptr<Proxy>>& proxies_;
  Micros t0_;
  std::optional<Micros> duration_;
  uv_timer_t timer_;
  Micros last_draw_ = -1;
  bool drawn_ = false;
};

std::string human_bytes(uint64_t bytes);
// The names that fit in `room` columns, then "+N more" for the rest, so
// that no name is cut ("none" when there are none).
std::string toxic_list(const std::vector<std::string>& names, size_t room);

}  // namespace jinx
