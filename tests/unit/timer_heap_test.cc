// Microsecond timers: the heap on a fake clock (order, moves, stops, timers
// that re-arm or destroy others while firing), and LoopTimers on a real loop
// (never early, not a millisecond late, no handle left behind).
#include "timer_heap.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "loop_timers.h"

namespace jinx {
namespace {

// A timer that records its name (and the fake time) when it fires.
struct Named {
  std::string name;
  std::vector<std::string>* log;
  MicroTimer timer{[](MicroTimer& t) {
                     auto* self = static_cast<Named*>(t.owner());
                     self->log->push_back(self->name);
                   },
                   this};
  Named(std::string n, std::vector<std::string>* l) : name(std::move(n)), log(l) {}
};

TEST_CASE("timer heap: fires what is due, earliest first, ties in the order started") {
  std::vector<std::string> log;
  TimerHeap heap;
  Named a("a", &log), b("b", &log), c("c", &log), d("d", &log);
  heap.start(c.timer, 300);
  heap.start(a.timer, 100);
  heap.start(d.timer, 300);
  heap.start(b.timer, 200);
  CHECK(heap.next_deadline() == 100);
  CHECK(heap.run_due(99) == 0);
  CHECK(log.empty());
  CHECK(heap.run_due(250) == 2);
  CHECK(log == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(a.timer.armed());
  CHECK(c.timer.armed());
  CHECK(heap.run_due(300) == 2);
  CHECK(log == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(heap.empty());
  CHECK(heap.next_deadline() == TimerHeap::kNoDeadline);
}

TEST_CASE("timer heap: moving and stopping timers, and a timer destroyed while armed") {
  std::vector<std::string> log;
  TimerHeap heap;
  Named a("a", &log), b("b", &log);
  auto gone = std::make_unique<Named>("gone", &log);
  heap.start(a.timer, 100);
  heap.start(b.timer, 200);
  heap.start(gone->timer, 50);
  heap.start(a.timer, 300);  // moved later
  CHECK(heap.size() == 3);
  gone.reset();  // leaves the heap by itself
  CHECK(heap.size() == 2);
  CHECK(heap.next_deadline() == 200);
  b.timer.stop();
  b.timer.stop();  // twice is harmless
  CHECK(heap.next_deadline() == 300);
  heap.start(b.timer, 10);  // moved earlier than everything
  CHECK(heap.next_deadline() == 10);
  heap.run_due(1000);
  CHECK(log == std::vector<std::string>{"b", "a"});
}

TEST_CASE("timer heap: a timer re-armed in the past from its callback waits for the next run") {
  TimerHeap heap;
  int fired = 0;
  struct Again {
    TimerHeap* heap;
    int* fired;
    MicroTimer timer{[](MicroTimer& t) {
                       auto* self = static_cast<Again*>(t.owner());
                       ++*self->fired;
                       self->heap->start(t, 0);  // due again at once
                     },
                     this};
  } again{&heap, &fired};
  heap.start(again.timer, 5);
  CHECK(heap.run_due(10) == 1);
  CHECK(fired == 1);
  CHECK(again.timer.armed());
  CHECK(heap.run_due(10) == 1);
  CHECK(fired == 2);
}

TEST_CASE("timer heap: a firing timer may stop another that is also due") {
  std::vector<std::string> log;
  TimerHeap heap;
  Named victim("victim", &log);
  struct Killer {
    MicroTimer* victim;
    MicroTimer timer{[](MicroTimer& t) { static_cast<Killer*>(t.owner())->victim->stop(); }, this};
  } killer{&victim.timer};
  heap.start(killer.timer, 1);
  heap.start(victim.timer, 2);
  CHECK(heap.run_due(5) == 1);
  CHECK(log.empty());
  CHECK(heap.empty());
}

TEST_CASE("timer heap: many timers come out in deadline order") {
  TimerHeap heap;
  std::vector<Micros> fired;
  struct Recorder {
    explicit Recorder(std::vector<Micros>* o) : out(o) {}
    std::vector<Micros>* out;
    MicroTimer timer{
        [](MicroTimer& t) { static_cast<Recorder*>(t.owner())->out->push_back(t.deadline()); },
        this};
  };
  std::vector<std::unique_ptr<Recorder>> timers;
  for (int i = 0; i < 500; ++i) {
    timers.push_back(std::make_unique<Recorder>(&fired));
    heap.start(timers.back()->timer, (i * 7919) % 1000);
  }
  for (int i = 0; i < 500; i += 3) timers[static_cast<size_t>(i)]->timer.stop();
  heap.run_due(1000);
  CHECK(fired.size() == 500 - 167);
  for (size_t i = 1; i < fired.size(); ++i) CHECK(fired[i - 1] <= fired[i]);
}

// LoopTimers on a real loop: each wake-up at its microsecond, never before.
TEST_CASE("loop timers: wake the loop at the microsecond, never early, then let it sleep") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    LoopTimers timers;
    std::string err;
    REQUIRE_MESSAGE(timers.open(&loop, &err), err);
    struct Probe {
      Micros due = 0;
      Micros at = 0;
      MicroTimer timer{[](MicroTimer& t) {
                         auto* self = static_cast<Probe*>(t.owner());
                         self->at = loop_clock_now();
                         uv_stop(self->loop);
                       },
                       this};
      uv_loop_t* loop = nullptr;
    } probe;
    probe.loop = &loop;
    std::vector<Micros> lateness;
    for (Micros delay : {0, 50, 100, 300, 700, 1500, 0, 50, 100, 300, 700, 1500}) {
      probe.due = loop_clock_now() + delay;
      probe.at = 0;
      timers.start(probe.timer, probe.due);
      uv_run(&loop, UV_RUN_DEFAULT);  // until the probe stops it
      CAPTURE(delay);
      REQUIRE(probe.at != 0);
      CHECK(probe.at >= probe.due);
      lateness.push_back(probe.at - probe.due);
    }
    std::sort(lateness.begin(), lateness.end());
    MESSAGE("lateness of 12 wake-ups, sorted (us): " << lateness[0] << " " << lateness[1] << " "
                                                     << lateness[6] << " .. " << lateness[11]);
    // Typically tens of microseconds; a loaded machine delays many of them
    // by milliseconds, but not all of them.
    CHECK(lateness[0] < 300);
    // A timer stopped before its time does not fire: a later one, which
    // ends the run, comes first.
    Probe later;
    later.loop = &loop;
    timers.start_in(probe.timer, 200);
    timers.start_in(later.timer, 1000);
    probe.timer.stop();
    probe.at = 0;
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(later.at != 0);
    CHECK(probe.at == 0);
    CHECK(timers.armed() == 0);
    timers.close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace jinx
