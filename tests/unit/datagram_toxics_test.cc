// Datagram toxics (SPEC 12) on a fake clock: each toxic's effect, its rates
// within binomial bounds, and draws that a seed reproduces.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "datagram_pipeline.h"
#include "random.h"
#include "toxic_types.h"

namespace jinx {
namespace {

struct FakeFlow final : DatagramPipelineOwner {
  Micros clock = 0;
  std::vector<Datagram> out;
  std::vector<Micros> out_at;
  std::map<DatagramFate, uint64_t> fates;
  uint64_t overflows = 0;

  Micros now() const override { return clock; }
  void deliver(Datagram&& d) override {
    out_at.push_back(clock);
    out.push_back(std::move(d));
  }
  void counted(ToxicIndex /*toxic*/, DatagramFate fate) override { ++fates[fate]; }
  void overflowed(size_t /*bytes*/) override { ++overflows; }

  // Runs the pipeline's timers until nothing is due before `until`.
  void run_until(DatagramPipeline& p, Micros until) {
    for (Micros next = p.next_wakeup(); next <= until; next = p.next_wakeup()) {
      clock = std::max(clock, next);
      p.run_timers();
    }
    clock = until;
  }
};

std::unique_ptr<DatagramStage> make_stage(const std::string& name, std::vector<double> attrs,
                                          uint64_t seed = 1, uint64_t buffer = 1 << 24) {
  const ToxicType* type = find_toxic_type(name);
  REQUIRE(type != nullptr);
  // Every attribute not given takes its default.
  for (size_t i = attrs.size(); i < type->attrs.size(); ++i) {
    attrs.push_back(type->attrs[i].default_value);
  }
  DatagramParams params{*type, attrs,
                        Rng::derive(seed, toxic_id(name), 1, RandomPurpose::upstream, 0), buffer};
  auto stage = make_datagram_stage(params);
  REQUIRE(stage != nullptr);
  return stage;
}

Datagram datagram(uint64_t number, Micros at, size_t size = 100) {
  Datagram d;
  d.bytes.assign(size, static_cast<char>(number & 0x7f));
  d.read_time = at;
  d.number = number;
  return d;
}

// Five standard deviations of a binomial count: fails by chance about once
// in 1.7 million runs, and the draws are seeded anyway.
bool within_binomial(uint64_t count, uint64_t n, double p) {
  double mean = static_cast<double>(n) * p;
  double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  return std::abs(static_cast<double>(count) - mean) <= 5 * sd;
}

std::vector<uint64_t> dropped_numbers(uint64_t seed, double probability, double burst, uint64_t n) {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("loss", {probability, burst}, seed));
  for (uint64_t i = 1; i <= n; ++i) p.push(datagram(i, 0, 10));
  std::vector<uint64_t> dropped;
  uint64_t expect = 1;
  for (const auto& d : flow.out) {
    for (; expect < d.number; ++expect) dropped.push_back(expect);
    expect = d.number + 1;
  }
  for (; expect <= n; ++expect) dropped.push_back(expect);
  return dropped;
}

TEST_CASE("loss drops within binomial bounds, and a seed reproduces the dropped numbers") {
  constexpr uint64_t n = 100000;
  auto dropped = dropped_numbers(7, 0.05, 1, n);
  CHECK(within_binomial(dropped.size(), n, 0.05));
  CHECK(dropped_numbers(7, 0.05, 1, n) == dropped);
  CHECK(dropped_numbers(8, 0.05, 1, n) != dropped);
  CHECK(dropped_numbers(7, 0, 1, 1000).empty());
  CHECK(dropped_numbers(7, 1, 1, 1000).size() == 1000);
}

TEST_CASE("bursty loss keeps the mean loss and has the mean burst length asked for") {
  constexpr uint64_t n = 400000;
  auto dropped = dropped_numbers(11, 0.05, 4, n);
  double loss = static_cast<double>(dropped.size()) / n;
  CHECK(loss == doctest::Approx(0.05).epsilon(0.1));
  uint64_t bursts = 0;
  for (size_t i = 0; i < dropped.size(); ++i) {
    if (i == 0 || dropped[i] != dropped[i - 1] + 1) ++bursts;
  }
  double mean_burst = static_cast<double>(dropped.size()) / static_cast<double>(bursts);
  CHECK(mean_burst == doctest::Approx(4).epsilon(0.08));
  CHECK(dropped_numbers(11, 0.05, 4, n) == dropped);
}

TEST_CASE("duplicate sends a copy right behind the original, within binomial bounds") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("duplicate", {0.1}));
  constexpr uint64_t n = 20000;
  for (uint64_t i = 1; i <= n; ++i) p.push(datagram(i, 0));
  uint64_t copies = flow.out.size() - n;
  CHECK(within_binomial(copies, n, 0.1));
  CHECK(flow.fates[DatagramFate::duplicated] == copies);
  for (size_t i = 1; i < flow.out.size(); ++i) {
    if (flow.out[i].copy == 1) CHECK(flow.out[i - 1].number == flow.out[i].number);
  }
}

TEST_CASE("reorder lets `gap` datagrams pass a held one, within binomial bounds") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("reorder", {0.1, 2}));
  constexpr uint64_t n = 20000;
  for (uint64_t i = 1; i <= n; ++i) p.push(datagram(i, 0));
  p.remove(0);
  REQUIRE(flow.out.size() == n);
  uint64_t late = 0;
  for (size_t i = 0; i < flow.out.size(); ++i) {
    if (flow.out[i].number < i + 1) ++late;
  }
  CHECK(within_binomial(flow.fates[DatagramFate::reordered], n, 0.1));
  CHECK(late >= flow.fates[DatagramFate::reordered]);
  // Held by exactly two when traffic flows: number k leaves after k+1 and k+2.
  for (size_t i = 2; i + 2 < flow.out.size(); ++i) {
    const Datagram& d = flow.out[i];
    if (d.number + 2 == flow.out[i - 1].number && d.number + 1 == flow.out[i - 2].number) {
      return;  // one seen is enough: the shape holds
    }
  }
  FAIL("no datagram was passed by exactly two others");
}

TEST_CASE("a held reorder datagram leaves within 100ms when traffic stops") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("reorder", {1, 5}));
  p.push(datagram(1, 0));
  CHECK(flow.out.empty());
  flow.run_until(p, 100 * kMicrosPerMs);
  REQUIRE(flow.out.size() == 1);
  CHECK(flow.out_at[0] == 100 * kMicrosPerMs);
}

TEST_CASE("corrupt flips exactly one bit of a datagram, within binomial bounds") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("corrupt", {0.2}));
  constexpr uint64_t n = 20000;
  for (uint64_t i = 1; i <= n; ++i) p.push(datagram(i, 0, 64));
  REQUIRE(flow.out.size() == n);
  uint64_t changed = 0;
  for (const auto& d : flow.out) {
    int bits = 0;
    for (char c : d.bytes) {
      bits += std::popcount(static_cast<unsigned char>(c ^ static_cast<char>(d.number & 0x7f)));
    }
    CHECK(bits <= 1);
    changed += bits;
  }
  CHECK(changed == flow.fates[DatagramFate::corrupted]);
  CHECK(within_binomial(changed, n, 0.2));
}

TEST_CASE("datagram latency: each leaves at read time + latency, within 1ms, in order") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("latency", {50, 0}));
  constexpr uint64_t n = 10000;
  for (uint64_t i = 1; i <= n; ++i) {
    flow.run_until(p, static_cast<Micros>(i) * 100);
    p.push(datagram(i, flow.clock));
  }
  flow.run_until(p, kMicrosPerSecond * 10);
  REQUIRE(flow.out.size() == n);
  for (size_t i = 0; i < n; ++i) {
    Micros added = flow.out_at[i] - flow.out[i].read_time;
    CHECK(added >= 50 * kMicrosPerMs);
    CHECK(added <= 51 * kMicrosPerMs);
    CHECK(flow.out[i].number == i + 1);
  }
}

TEST_CASE("datagram latency with jitter keeps order unless reorder = true") {
  for (double reorder : {0.0, 1.0}) {
    CAPTURE(reorder);
    FakeFlow flow;
    DatagramPipeline p(flow, 1 << 24);
    p.add(0, make_stage("latency", {20, 10, reorder}));
    for (uint64_t i = 1; i <= 2000; ++i) {
      flow.run_until(p, static_cast<Micros>(i) * 500);
      p.push(datagram(i, flow.clock));
    }
    flow.run_until(p, kMicrosPerSecond * 10);
    REQUIRE(flow.out.size() == 2000);
    bool ordered =
        std::is_sorted(flow.out.begin(), flow.out.end(),
                       [](const Datagram& a, const Datagram& b) { return a.number < b.number; });
    CHECK(ordered == (reorder == 0));
    CHECK((flow.fates[DatagramFate::reordered] > 0) == (reorder != 0));
  }
}

TEST_CASE("datagram bandwidth spaces datagrams at the rate and tail-drops past the buffer") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("bandwidth", {1000}, 1, 500));  // 1000 B/s, 500 B queue
  for (uint64_t i = 1; i <= 10; ++i) p.push(datagram(i, 0));
  // The first leaves at once; five wait (500 B); four find the queue full.
  CHECK(flow.fates[DatagramFate::dropped] == 4);
  flow.run_until(p, 10 * kMicrosPerSecond);
  REQUIRE(flow.out.size() == 6);
  for (size_t i = 0; i < 6; ++i) {
    CHECK(flow.out_at[i] == static_cast<Micros>(i) * 100 * kMicrosPerMs);
  }
}

TEST_CASE("datagram stall holds everything and releases it in order at the window's end") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("stall", {}, 1, 1000));
  for (uint64_t i = 1; i <= 12; ++i) p.push(datagram(i, 0));
  flow.run_until(p, 10 * kMicrosPerSecond);
  CHECK(flow.out.empty());
  CHECK(flow.fates[DatagramFate::dropped] == 2);
  p.remove(0);
  REQUIRE(flow.out.size() == 10);
  for (size_t i = 0; i < 10; ++i) CHECK(flow.out[i].number == i + 1);
}

TEST_CASE("a direction holds at most its buffer across stages: the rest is dropped on arrival") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1000);
  p.add(0, make_stage("latency", {100}));
  for (uint64_t i = 1; i <= 15; ++i) p.push(datagram(i, 0));
  CHECK(flow.overflows == 5);
  flow.run_until(p, kMicrosPerSecond);
  CHECK(flow.out.size() == 10);
  CHECK(p.held() == 0);
}

TEST_CASE("a ramp step changes a datagram toxic's values for the datagrams after it") {
  FakeFlow flow;
  DatagramPipeline p(flow, 1 << 24);
  p.add(0, make_stage("loss", {0}));
  for (uint64_t i = 1; i <= 100; ++i) p.push(datagram(i, 0));
  CHECK(flow.out.size() == 100);
  p.update(0, {1, 1});
  for (uint64_t i = 101; i <= 200; ++i) p.push(datagram(i, 0));
  CHECK(flow.out.size() == 100);
  CHECK(flow.fates[DatagramFate::dropped] == 100);
}

}  // namespace
}  // namespace jinx
