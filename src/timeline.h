// The timeline (SPEC 4): plays every toxic's windows on loop timers. Each
// toxic has one timer that walks it through "window opens", ramp steps and
// "window closes", then computes its next window, so unlimited repeats cost
// nothing up front. Times are absolute on the loop clock (t0 + offset), so a
// late callback never pushes the rest of the schedule back.
#pragma once

#include <uv.h>

#include <memory>
#include <vector>

#include "schedule.h"
#include "stage.h"

namespace jinx {

class TimelineHooks {
 public:
  virtual void window_open(size_t toxic, const Window& w, const std::vector<double>& attrs,
                           double toxicity) = 0;
  virtual void window_update(size_t toxic, const Window& w, const std::vector<double>& attrs,
                             double toxicity) = 0;
  virtual void window_close(size_t toxic, const Window& w) = 0;

 protected:
  ~TimelineHooks() = default;
};

class Timeline {
 public:
  Timeline(uv_loop_t* loop, const Scenario& scenario, uint64_t seed, TimelineHooks& hooks);
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;
  ~Timeline();

  // t0 on the loop clock, in microseconds.
  void start(Micros t0);
  // Closes every open window (window_close), then every timer handle.
  void stop();
  size_t open_windows() const;
  // Ends the toxic's open window now (the control API deleted it): the
  // window closes as if its time had come, and the next one is scheduled.
  void end_window(size_t toxic);
  // Names of toxics whose window is open (status line).
  std::vector<size_t> active() const;

  // Values of a toxic's attributes at `fraction` of its window.
  static std::vector<double> attrs_at(const ToxicSpec& spec, double fraction);

 private:
  struct Run;
  void schedule_next(Run& run);
  void on_timer(Run& run);
  void arm(Run& run, Micros at);
  Micros now() const;

  uv_loop_t* loop_;
  const Scenario& scenario_;
  uint64_t seed_;
  TimelineHooks& hooks_;
  Micros t0_ = 0;
  std::vector<Run*> runs_;  // each deletes itself in its timer's close callback
};

}  // namespace jinx
