// duplicate (UDP): each datagram is sent twice with `probability`, the copy
// right behind the original.
#include "toxics/datagram_factory.h"

namespace jinx {

const ToxicType& duplicate_toxic();

namespace {

class DuplicateStage final : public DatagramStage {
 public:
  explicit DuplicateStage(const DatagramParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    probability_ = Settings(duplicate_toxic(), attrs).probability("probability");
  }

  void push(Datagram&& d, DatagramIo& io) override {
    if (!draws_for(rng_, d).chance(probability_)) {
      io.emit(std::move(d));
      return;
    }
    Datagram copy{d.bytes, d.read_time, d.number, d.copy + 1};
    io.count(DatagramFate::duplicated, copy.size());
    io.emit(std::move(d));
    io.emit(std::move(copy));
  }

 private:
  Rng rng_;
  double probability_ = 0;
};

}  // namespace

const ToxicType& duplicate_toxic() {
  static const ToxicType type{"duplicate",
                              ToxicKind::stage,
                              "sends a datagram twice with the given probability",
                              {{"probability",
                                Unit::probability,
                                true,
                                0,
                                "chance that a datagram is duplicated",
                                {},
                                0,
                                1}},
                              kUdp,
                              nullptr,
                              nullptr,
                              [](const DatagramParams& p) -> std::unique_ptr<DatagramStage> {
                                return std::make_unique<DuplicateStage>(p);
                              }};
  return type;
}

}  // namespace jinx
