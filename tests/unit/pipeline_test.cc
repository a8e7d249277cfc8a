// The pipeline of one direction (SPEC 5, 6) on a fake clock: stages in file
// order, removal handing on what a stage holds, timers, actions.
#include "pipeline.h"

#include <doctest/doctest.h>

#include "fake_owner.h"

namespace jinx {
namespace {

using test::FakeOwner;
using test::make;
using test::make_chunk;
using test::ms;
using test::run_until;

// A stage that notes its tag on every chunk it sees and passes it on, or
// holds everything when `hold` is set.
class TagStage final : public Stage {
 public:
  TagStage(std::string tag, std::vector<std::string>& log, bool hold = false)
      : tag_(std::move(tag)), log_(log), hold_(hold) {}
  void activate(StageIo& io) override {
    log_.push_back("activate " + tag_);
    io.act(ToxicAction::close_after_flush);
  }
  void push(Chunk&& chunk, StageIo& io) override {
    log_.push_back(tag_);
    if (hold_) {
      held_.push_back(std::move(chunk));
    } else {
      io.emit(std::move(chunk));
    }
  }
  void flush(StageIo& io) override {
    log_.push_back("flush " + tag_);
    for (auto& c : held_) io.emit(std::move(c));
    held_.clear();
  }
  void update(const std::vector<double>& attrs) override { updates_.push_back(attrs.at(0)); }
  std::vector<double> updates_;

 private:
  std::string tag_;
  std::vector<std::string>& log_;
  bool hold_;
  std::vector<Chunk> held_;
};

TEST_CASE("without stages, chunks go straight to the owner") {
  FakeOwner owner;
  Pipeline p(owner);
  CHECK(p.empty());
  CHECK(p.next_wakeup() == kNever);
  owner.clock = ms(5);
  p.push(make_chunk("hello", ms(3)));
  p.push(Chunk::end_of_stream(ms(4)));
  REQUIRE(owner.delivered.size() == 2);
  CHECK(owner.delivered[0].bytes == "hello");
  CHECK(owner.delivered[0].at == ms(5));
  CHECK(owner.delivered[0].read_time == ms(3));
  CHECK_FALSE(owner.delivered[0].eof);
  CHECK(owner.delivered[1].eof);
  CHECK(owner.delivered[1].size == 0);
  CHECK(owner.actions.empty());
  CHECK(owner.discarded_bytes == 0);
}

TEST_CASE("stages apply in file order, whatever the order they are added in") {
  FakeOwner owner;
  Pipeline p(owner);
  std::vector<std::string> log;
  p.add(7, std::make_unique<TagStage>("seven", log));
  p.add(3, std::make_unique<TagStage>("three", log));
  p.add(5, std::make_unique<TagStage>("five", log));
  CHECK(p.has(3));
  CHECK(p.has(5));
  CHECK(p.has(7));
  CHECK_FALSE(p.has(4));
  // Each was activated once it was added, and its actions name its toxic.
  CHECK(log == std::vector<std::string>{"activate seven", "activate three", "activate five"});
  REQUIRE(owner.actions.size() == 3);
  CHECK(owner.actions[0].toxic == 7);
  CHECK(owner.actions[1].toxic == 3);
  CHECK(owner.actions[2].toxic == 5);
  log.clear();
  p.push(make_chunk("x", 0));
  CHECK(log == std::vector<std::string>{"three", "five", "seven"});
  REQUIRE(owner.delivered.size() == 1);
  CHECK(owner.delivered[0].bytes == "x");
}

TEST_CASE("an order apart from the index: an API toxic added again goes last, in its old slot") {
  FakeOwner owner;
  Pipeline p(owner);
  std::vector<std::string> log;
  // Toxic 4 was added first (order 10), removed, and added again (order
  // 12) after toxic 5 (order 11): it keeps index 4 and now comes last.
  p.add(4, 10, std::make_unique<TagStage>("four", log));
  p.add(5, 11, std::make_unique<TagStage>("five", log));
  p.remove(4);
  p.add(4, 12, std::make_unique<TagStage>("four again", log));
  CHECK(p.has(4));
  log.clear();
  p.push(make_chunk("x", 0));
  CHECK(log == std::vector<std::string>{"five", "four again"});
  REQUIRE(owner.actions.size() == 3);
  CHECK(owner.actions[2].toxic == 4);
}

TEST_CASE("real toxics in file order: the earlier one sees the data first") {
  SUBCASE("stall (toxic 0) before limit_data (toxic 1)") {
    FakeOwner owner;
    Pipeline p(owner);
    p.add(1, make("limit_data", {10}));
    p.add(0, make("stall", {}));
    p.push(make_chunk(std::string(100, 'a'), 0));
    // Held by the stall: limit_data has not seen it, nothing dropped yet.
    CHECK(owner.discarded_bytes == 0);
    CHECK(owner.delivered.empty());
    p.remove(0);
    CHECK(owner.delivered_bytes == 10);
    CHECK(owner.discarded_bytes == 90);
    REQUIRE(owner.actions.size() == 1);
    CHECK(owner.actions[0].toxic == 1);
    CHECK(owner.actions[0].action == ToxicAction::close_after_flush);
  }
  SUBCASE("limit_data (toxic 0) before stall (toxic 1)") {
    FakeOwner owner;
    Pipeline p(owner);
    p.add(1, make("stall", {}));
    p.add(0, make("limit_data", {10}));
    p.push(make_chunk(std::string(100, 'a'), 0));
    CHECK(owner.discarded_bytes == 90);  // cut before the stall
    CHECK(owner.delivered.empty());
    p.remove(1);
    CHECK(owner.delivered_bytes == 10);
  }
}

TEST_CASE("removing a middle stage hands its chunks to the next one, in order") {
  FakeOwner owner;
  Pipeline p(owner);
  std::vector<std::string> log;
  p.add(0, std::make_unique<TagStage>("first", log));
  p.add(1, std::make_unique<TagStage>("middle", log, true));
  p.add(2, std::make_unique<TagStage>("last", log, true));
  for (const char* s : {"A", "B", "C"}) p.push(make_chunk(s, 0));
  log.clear();
  p.remove(1);
  CHECK_FALSE(p.has(1));
  CHECK(log == std::vector<std::string>{"flush middle", "last", "last", "last"});
  CHECK(owner.delivered.empty());  // now held by "last"
  p.push(make_chunk("D", 0));
  p.remove(2);
  CHECK(owner.all_bytes() == "ABCD");
  p.remove(0);
  CHECK(p.empty());
  p.push(make_chunk("E", 0));
  CHECK(owner.all_bytes() == "ABCDE");
}

TEST_CASE("removal keeps order with a timed stage ahead of it") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, make("latency", {100, 0}));
  p.add(1, make("stall", {}));
  p.push(make_chunk("A", 0));
  owner.clock = ms(50);
  p.push(make_chunk("B", ms(50)));
  REQUIRE(run_until(p, owner, ms(120)));  // A is now in the stall, B in the latency
  CHECK(owner.delivered.empty());
  p.remove(1);
  REQUIRE(owner.delivered.size() == 1);
  CHECK(owner.delivered[0].bytes == "A");
  CHECK(owner.delivered[0].at == ms(120));
  REQUIRE(run_until(p, owner, kNever));
  REQUIRE(owner.delivered.size() == 2);
  CHECK(owner.delivered[1].bytes == "B");
  CHECK(owner.delivered[1].at == ms(150));
}

TEST_CASE("timers: next_wakeup is the earliest stage, and a release flows through later stages") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, make("latency", {30, 0}));
  p.add(1, make("slow_close", {200}));
  p.add(2, make("reset_peer", {500}));
  CHECK(p.next_wakeup() == ms(500));
  p.push(make_chunk("data", 0));
  CHECK(p.next_wakeup() == ms(30));
  owner.clock = ms(30);
  p.run_timers();
  // Out of the latency, through slow_close and reset_peer in one pass.
  REQUIRE(owner.delivered.size() == 1);
  CHECK(owner.delivered[0].at == ms(30));
  CHECK(p.next_wakeup() == ms(500));
  // A timer run before anything is due does nothing.
  owner.clock = ms(100);
  p.run_timers();
  CHECK(owner.actions.empty());
  REQUIRE(run_until(p, owner, kNever));
  REQUIRE(owner.actions.size() == 1);
  CHECK(owner.actions[0].action == ToxicAction::reset);
  CHECK(owner.actions[0].toxic == 2);
  CHECK(owner.actions[0].at == ms(500));
  CHECK(p.next_wakeup() == kNever);
}

TEST_CASE("update reaches the toxic's stage only; unknown toxics are ignored") {
  FakeOwner owner;
  Pipeline p(owner);
  std::vector<std::string> log;
  auto a = std::make_unique<TagStage>("a", log);
  auto b = std::make_unique<TagStage>("b", log);
  TagStage* pa = a.get();
  TagStage* pb = b.get();
  p.add(0, std::move(a));
  p.add(1, std::move(b));
  p.update(1, {42});
  p.update(9, {1});
  p.remove(9);
  CHECK(pa->updates_.empty());
  CHECK(pb->updates_ == std::vector<double>{42});
  CHECK(p.has(0));
  CHECK(p.has(1));
}

TEST_CASE("clear drops every stage without flushing") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, make("stall", {}));
  p.push(make_chunk("held", 0));
  p.clear();
  CHECK(p.empty());
  CHECK(owner.delivered.empty());
  p.push(make_chunk("after", 0));
  CHECK(owner.all_bytes() == "after");
}

TEST_CASE("chunks share blocks and return them to the pool") {
  Block::trim_pool();
  CHECK(Block::pooled() == 0);
  {
    Chunk c = make_chunk("abcdef", 0);
    Chunk front = c.take_front(2);
    CHECK(std::string(front.data(), front.size()) == "ab");
    CHECK(std::string(c.data(), c.size()) == "cdef");
    CHECK(front.read_time() == c.read_time());
    Chunk moved = std::move(front);
    CHECK(front.size() == 0);
    CHECK(moved.size() == 2);
    c.truncate(1);
    CHECK(std::string(c.data(), c.size()) == "c");
    CHECK(Block::pooled() == 0);  // still referenced
  }
  CHECK(Block::pooled() == 1);  // one block, released once by both views
  Block* again = Block::take();
  CHECK(Block::pooled() == 0);
  CHECK(again->refs == 1);
  again->release();
  Block::trim_pool();
  CHECK(Block::pooled() == 0);
}

}  // namespace
}  // namespace jinx

namespace jinx {

TEST_CASE(
    "a pipeline is transparent (bytes may be spliced past it) only while no stage would act") {
  test::FakeOwner owner;
  Pipeline p(owner);
  CHECK(p.transparent());
  p.add(0, test::make("latency", {0, 0}));
  CHECK(p.transparent());  // a 0 ms latency passes every chunk at once
  p.update(0, {5, 0});
  CHECK_FALSE(p.transparent());
  p.update(0, {0, 0});
  p.add(1, test::make("corrupt", {0.5}));
  CHECK_FALSE(p.transparent());  // corrupt changes bytes
  p.remove(1);
  CHECK(p.transparent());
  // A latency still holding chunks is not transparent even at 0 ms.
  p.update(0, {100, 0});
  owner.clock = 0;
  p.push(test::make_chunk("abc", 0));
  p.update(0, {0, 0});
  CHECK_FALSE(p.transparent());
}

}  // namespace jinx
