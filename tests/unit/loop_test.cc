// Loop-level tests on a real libuv loop. Each ends by closing every handle
// and asserting uv_loop_close() == 0: no handle is left behind.
#include <doctest/doctest.h>
#include <uv.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "address.h"
#include "chunk.h"
#include "loader.h"
#include "timeline.h"

namespace jinx {
namespace {

void close_handle(uv_handle_t* h) {
  if (uv_is_closing(h) == 0) uv_close(h, nullptr);
}

// A TCP echo server and a client on 127.0.0.1, reading into pooled Blocks
// the way the relay does.
struct Echo {
  uv_loop_t loop{};
  uv_tcp_t server{}, accepted{}, client{};
  uv_timer_t guard{};
  uv_connect_t connect{};
  uv_write_t client_write{};
  std::string message = std::string(200'000, 'j') + "inx";
  std::string received;
  size_t echoed = 0;

  static void alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    Block* b = Block::take();
    *buf = uv_buf_init(b->data, Block::kSize);
  }
  static Block* block_of(const uv_buf_t* buf) {
    return reinterpret_cast<Block*>(buf->base - offsetof(Block, data));
  }
  void close_all() {
    for (auto* h :
         {reinterpret_cast<uv_handle_t*>(&server), reinterpret_cast<uv_handle_t*>(&accepted),
          reinterpret_cast<uv_handle_t*>(&client), reinterpret_cast<uv_handle_t*>(&guard)}) {
      close_handle(h);
    }
  }
};

TEST_CASE("loop: TCP echo through libuv on 127.0.0.1 port 0, then no handle left") {
  Echo e;
  REQUIRE(uv_loop_init(&e.loop) == 0);
  for (auto* h : {&e.server, &e.accepted, &e.client}) {
    uv_tcp_init(&e.loop, h);
    h->data = &e;
  }
  uv_timer_init(&e.loop, &e.guard);
  e.guard.data = &e;
  // Never hang the test run: give up after 5 s.
  uv_timer_start(
      &e.guard, [](uv_timer_t* t) { static_cast<Echo*>(t->data)->close_all(); }, 5000, 0);

  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  REQUIRE(uv_tcp_bind(&e.server, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
  REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&e.server), 8, [](uv_stream_t* s, int status) {
            auto* echo = static_cast<Echo*>(s->data);
            if (status < 0 || uv_accept(s, reinterpret_cast<uv_stream_t*>(&echo->accepted)) != 0)
              return;
            // Echo every block read back, releasing it once written.
            uv_read_start(reinterpret_cast<uv_stream_t*>(&echo->accepted), Echo::alloc,
                          [](uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
                            Block* b = Echo::block_of(buf);
                            if (n <= 0) {
                              b->release();
                              return;
                            }
                            auto* req = new uv_write_t;
                            req->data = b;
                            uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(n));
                            uv_write(req, st, &out, 1, [](uv_write_t* r, int) {
                              static_cast<Block*>(r->data)->release();
                              delete r;
                            });
                          });
          }) == 0);
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&e.server, reinterpret_cast<sockaddr*>(&bound), &len);
  std::string where = format_sockaddr(reinterpret_cast<sockaddr*>(&bound));
  CHECK(where.rfind("127.0.0.1:", 0) == 0);
  CHECK(where != "127.0.0.1:0");

  e.connect.data = &e;
  uv_tcp_connect(
      &e.connect, &e.client, reinterpret_cast<const sockaddr*>(&bound),
      [](uv_connect_t* c, int status) {
        auto* echo = static_cast<Echo*>(c->data);
        if (status != 0) {  // no REQUIRE here: it would throw through libuv
          echo->close_all();
          return;
        }
        uv_buf_t out =
            uv_buf_init(echo->message.data(), static_cast<unsigned>(echo->message.size()));
        uv_write(&echo->client_write, c->handle, &out, 1, nullptr);
        uv_read_start(c->handle, Echo::alloc, [](uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
          auto* self = static_cast<Echo*>(st->data);
          if (n > 0) self->received.append(buf->base, static_cast<size_t>(n));
          Echo::block_of(buf)->release();
          if (n < 0 || self->received.size() >= self->message.size()) self->close_all();
        });
      });
  CHECK(uv_run(&e.loop, UV_RUN_DEFAULT) == 0);
  CHECK(e.received == e.message);
  CHECK(uv_loop_close(&e.loop) == 0);
  Block::trim_pool();
}

// The timeline plays windows, ramp steps and closes on real loop timers.
struct Recorder final : TimelineHooks {
  struct Entry {
    char kind;  // o(pen), u(pdate), c(lose)
    size_t toxic;
    uint64_t window;
    Micros t;
    double value;
  };
  uv_loop_t* loop = nullptr;
  Micros t0 = 0;
  std::vector<Entry> log;
  Micros t() const { return static_cast<Micros>(uv_now(loop)) * kMicrosPerMs - t0; }
  void window_open(size_t toxic, const Window& w, const std::vector<double>& attrs,
                   double) override {
    log.push_back({'o', toxic, w.index, t(), attrs.empty() ? 0 : attrs[0]});
  }
  void window_update(size_t toxic, const Window& w, const std::vector<double>& attrs,
                     double) override {
    log.push_back({'u', toxic, w.index, t(), attrs[0]});
  }
  void window_close(size_t toxic, const Window& w) override {
    log.push_back({'c', toxic, w.index, t(), 0});
  }
};

struct WantedEvent {
  char kind;
  size_t toxic;
  uint64_t window;
  Micros t;  // ms
  double value;
};

// Steps at 1/3 and 2/3 of each window; the step due at the end is the close.
constexpr WantedEvent kWantedTimeline[] = {
    {'o', 0, 0, 20, 0},  {'u', 0, 0, 40, 30}, {'o', 1, 0, 50, 0},   {'u', 0, 0, 60, 60},
    {'c', 0, 0, 80, 0},  {'o', 0, 1, 120, 0}, {'u', 0, 1, 140, 30}, {'u', 0, 1, 160, 60},
    {'c', 0, 1, 180, 0}, {'c', 1, 0, 260, 0},
};
constexpr size_t kTimelineEvents = std::size(kWantedTimeline);

// One play of the scenario on a fresh loop, until its open-ended window is
// closed at 260 ms (and after the nine events before it), or 2 s at most.
std::vector<Recorder::Entry> play_timeline(const Scenario& scenario) {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Recorder rec;
  rec.loop = &loop;
  Timeline timeline(&loop, scenario, 1, rec);
  uv_update_time(&loop);
  rec.t0 = static_cast<Micros>(uv_now(&loop)) * kMicrosPerMs;
  timeline.start(rec.t0);
  struct Stopper {
    Timeline* timeline;
    Recorder* rec;
  } stopper{&timeline, &rec};
  uv_timer_t stop{};
  uv_timer_init(&loop, &stop);
  stop.data = &stopper;
  uv_timer_start(
      &stop,
      [](uv_timer_t* t) {
        auto* s = static_cast<Stopper*>(t->data);
        Micros now = s->rec->t();
        bool all_before = s->rec->log.size() >= kTimelineEvents - 1 && now >= 260 * kMicrosPerMs;
        if (!all_before && now < 2000 * kMicrosPerMs) return;
        s->timeline->stop();
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      },
      260, 5);
  CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
  CHECK(timeline.open_windows() == 0);
  CHECK(uv_loop_close(&loop) == 0);
  return rec.log;
}

// Whether every event came, none more than 15 ms late: a loop the machine
// stalled for longer fires a ramp step after its window's end, and the
// timeline rightly takes it as the close (one event fewer).
bool on_time(const std::vector<Recorder::Entry>& log) {
  if (log.size() != kTimelineEvents) return false;
  for (size_t i = 0; i < kTimelineEvents; ++i) {
    if (log[i].t > (kWantedTimeline[i].t + 15) * kMicrosPerMs) return false;
  }
  return true;
}

TEST_CASE("loop: the timeline opens, ramps and closes windows on time") {
  LoadResult r = load_scenario_text(
      "[[proxy]]\nname = \"db\"\nlisten = \"127.0.0.1:0\"\nupstream = \"h:1\"\n"
      "[[toxic]]\nname = \"ramp\"\nproxy = \"db\"\ntype = \"latency\"\n"
      "latency = { from = \"0ms\", to = \"90ms\" }\nramp_step = \"20ms\"\n"
      "start = \"20ms\"\nduration = \"60ms\"\nevery = \"100ms\"\nrepeat = 2\n"
      "[[toxic]]\nname = \"open\"\nproxy = \"db\"\ntype = \"stall\"\nstart = \"50ms\"\n",
      "timeline.toml");
  REQUIRE(r.ok());
  // A play the machine stalled is played again, up to five times in all.
  std::vector<Recorder::Entry> log = play_timeline(*r.scenario);
  for (int again = 0; again < 4 && !on_time(log); ++again) log = play_timeline(*r.scenario);

  REQUIRE(log.size() == kTimelineEvents);
  for (size_t i = 0; i < kTimelineEvents; ++i) {
    CAPTURE(i);
    const auto& got = log[i];
    const auto& want = kWantedTimeline[i];
    CHECK(got.kind == want.kind);
    CHECK(got.toxic == want.toxic);
    CHECK(got.window == want.window);
    CHECK(got.value == doctest::Approx(want.value));
    // Never early; late only by scheduling noise.
    CHECK(got.t >= want.t * kMicrosPerMs);
    CHECK(got.t <= (want.t + 100) * kMicrosPerMs);
  }
}

}  // namespace
}  // namespace jinx
