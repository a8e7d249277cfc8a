// A byte-level toxic with match on an HTTP proxy (SPEC 11, match_gate.h):
// real stages in a MatchGate, in a real pipeline, on a fake clock. Picked
// chunks go through the toxic; the others pass it but never overtake what
// it holds.
#include "match_gate.h"

#include <doctest/doctest.h>

#include "fake_owner.h"

namespace jinx {
namespace {

using test::FakeOwner;
using test::make;
using test::ms;
using test::run_until;

constexpr unsigned kBit = 3;

Chunk tagged(std::string_view bytes, Micros read_time, bool picked) {
  Chunk c = test::make_chunk(bytes, read_time);
  c.set_picks(picked ? 1U << kBit : 0);
  return c;
}

std::unique_ptr<Stage> gated(std::string_view type, std::vector<double> attrs) {
  return std::make_unique<MatchGate>(make(type, std::move(attrs)), kBit);
}

TEST_CASE("match gate: chunks of other exchanges pass a latency at once") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, gated("latency", {100, 0}));
  p.push(tagged("a", 0, false));
  p.push(tagged("b", 0, true));
  REQUIRE(owner.delivered.size() == 1);
  CHECK(owner.delivered[0].bytes == "a");
  CHECK(owner.delivered[0].at == 0);
  REQUIRE(run_until(p, owner, kNever));
  REQUIRE(owner.delivered.size() == 2);
  CHECK(owner.delivered[1].bytes == "b");
  CHECK(owner.delivered[1].at == ms(100));
}

TEST_CASE("match gate: a chunk that passes waits behind what the toxic holds, in order") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, gated("latency", {100, 0}));
  p.push(tagged("1", 0, true));   // held 100 ms
  p.push(tagged("2", 0, false));  // must not overtake 1
  owner.clock = ms(10);
  p.push(tagged("3", ms(10), true));  // behind 2, then held until 110 ms
  p.push(tagged("4", ms(10), false));
  CHECK(owner.delivered.empty());
  CHECK(p.next_wakeup() == ms(100));
  REQUIRE(run_until(p, owner, kNever));
  REQUIRE(owner.delivered.size() == 4);
  CHECK(owner.all_bytes() == "1234");
  CHECK(owner.delivered[0].at == ms(100));
  CHECK(owner.delivered[1].at == ms(100));
  // 3 entered the latency when 2 left, at 100 ms: held until read + 100 ms.
  CHECK(owner.delivered[2].at == ms(110));
  CHECK(owner.delivered[3].at == ms(110));
  CHECK(p.transparent());
}

TEST_CASE("match gate: the toxic becomes active with the first picked chunk") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, gated("limit_data", {4}));
  p.push(tagged("unpicked bytes", 0, false));
  CHECK(owner.actions.empty());
  CHECK(owner.delivered_bytes == 14);
  p.push(tagged("picked bytes", 0, true));
  CHECK(owner.all_bytes() == "unpicked bytespick");
  CHECK(owner.discarded_bytes == 8);
  REQUIRE(owner.actions.size() == 1);
  CHECK(owner.actions[0].action == ToxicAction::close_after_flush);
}

TEST_CASE("match gate: bytes the toxic discards free the chunks behind them") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, gated("timeout", {0}));
  p.push(tagged("lost", 0, true));
  p.push(tagged("kept", 0, false));
  CHECK(owner.discarded_bytes == 4);
  CHECK(owner.all_bytes() == "kept");
}

TEST_CASE("match gate: the window closing hands on what is held and what waits, in order") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, gated("stall", {}));
  p.push(tagged("a", 0, true));
  p.push(tagged("b", 0, false));
  p.push(tagged("c", 0, true));
  p.push(Chunk::end_of_stream(0));
  CHECK(owner.delivered.empty());
  CHECK_FALSE(p.transparent());
  p.remove(0);
  REQUIRE(owner.delivered.size() == 4);
  CHECK(owner.all_bytes() == "abc");
  CHECK(owner.delivered[3].eof);
}

TEST_CASE("match gate: another toxic's bit is not this one's") {
  FakeOwner owner;
  Pipeline p(owner);
  p.add(0, gated("stall", {}));
  Chunk other = test::make_chunk("x", 0);
  other.set_picks(1U << (kBit + 1));
  p.push(std::move(other));
  CHECK(owner.all_bytes() == "x");
}

TEST_CASE("chunks keep their picks when split, and join only with equal picks") {
  Chunk a = tagged("abcdef", 0, true);
  Chunk front = a.take_front(2);
  CHECK(front.picks() == 1U << kBit);
  CHECK(a.picks() == 1U << kBit);
  CHECK(front.try_append(a));  // same block, same stamp, same picks
  CHECK(front.size() == 6);
  Chunk b = tagged("ghij", 0, true);
  Chunk tail = b.take_front(1);
  b.set_picks(0);
  CHECK_FALSE(tail.try_append(b));
}

}  // namespace
}  // namespace jinx
