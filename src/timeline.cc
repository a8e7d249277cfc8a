#include "timeline.h"

#include <algorithm>

#include "loop_clock.h"

namespace jinx {

struct Timeline::Run {
  Timeline* timeline;
  size_t toxic;
  uv_timer_t timer;
  uint64_t next_k = 0;
  std::optional<Window> window;
  bool open = false;
  Micros next_step = 0;
};

Timeline::Timeline(uv_loop_t* loop, const Scenario& scenario, uint64_t seed, TimelineHooks& hooks)
    : loop_(loop), scenario_(scenario), seed_(seed), hooks_(hooks) {}

Timeline::~Timeline() = default;

Micros Timeline::now() const {
  return loop_clock_now();
}

std::vector<double> Timeline::attrs_at(const ToxicSpec& spec, double fraction) {
  std::vector<double> values;
  values.reserve(spec.attrs.size());
  for (const auto& p : spec.attrs) values.push_back(p.at(fraction));
  return values;
}

void Timeline::start(Micros t0) {
  t0_ = t0;
  for (size_t i = 0; i < scenario_.toxics.size(); ++i) {
    auto* run = new Run;
    run->timeline = this;
    run->toxic = i;
    uv_timer_init(loop_, &run->timer);
    run->timer.data = run;
    runs_.push_back(run);
    schedule_next(*run);
  }
}

void Timeline::arm(Run& run, Micros at) {
  uint64_t ms = timer_ms_until(loop_, t0_ + at);
  uv_timer_start(
      &run.timer,
      [](uv_timer_t* t) {
        auto* r = static_cast<Run*>(t->data);
        r->timeline->on_timer(*r);
      },
      ms, 0);
}

void Timeline::schedule_next(Run& run) {
  run.window = window_at(scenario_.toxics[run.toxic], run.next_k++, seed_, scenario_.duration);
  run.open = false;
  if (run.window) arm(run, run.window->start);
}

void Timeline::on_timer(Run& run) {
  const ToxicSpec& spec = scenario_.toxics[run.toxic];
  const Window& w = *run.window;
  Micros t = now() - t0_;
  if (!run.open) {
    run.open = true;
    hooks_.window_open(run.toxic, w, attrs_at(spec, 0), spec.toxicity.at(0));
    if (!w.end) return;  // open until the session ends
    run.next_step = spec.has_ramp() ? w.start + spec.ramp_step : kNever;
    arm(run, std::min(run.next_step, *w.end));
    return;
  }
  if (t >= *w.end) {
    run.open = false;
    hooks_.window_close(run.toxic, w);
    schedule_next(run);
    return;
  }
  // A ramp step: values at the step's place in the window.
  double span = static_cast<double>(*w.end - w.start);
  double fraction = span > 0 ? static_cast<double>(run.next_step - w.start) / span : 1;
  fraction = std::clamp(fraction, 0.0, 1.0);
  hooks_.window_update(run.toxic, w, attrs_at(spec, fraction), spec.toxicity.at(fraction));
  run.next_step += spec.ramp_step;
  arm(run, std::min(run.next_step, *w.end));
}

void Timeline::stop() {
  for (Run* run : runs_) {
    if (run->open) {
      run->open = false;
      hooks_.window_close(run->toxic, *run->window);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&run->timer),
             [](uv_handle_t* h) { delete static_cast<Run*>(h->data); });
  }
  runs_.clear();
}

void Timeline::end_window(size_t toxic) {
  for (Run* run : runs_) {
    if (run->toxic != toxic || !run->open) continue;
    uv_timer_stop(&run->timer);
    run->open = false;
    hooks_.window_close(run->toxic, *run->window);
    schedule_next(*run);
  }
}

size_t Timeline::open_windows() const {
  return static_cast<size_t>(
      std::count_if(runs_.begin(), runs_.end(), [](const Run* r) { return r->open; }));
}

std::vector<size_t> Timeline::active() const {
  std::vector<size_t> out;
  for (const Run* r : runs_) {
    if (r->open) out.push_back(r->toxic);
  }
  return out;
}

}  // namespace jinx
