// loss (UDP): each datagram is dropped with `probability`. With `burst` = 1
// the drops are independent; above 1 they come in bursts of that mean length
// (a Gilbert-Elliott channel: a bad state that drops everything, left with
// chance 1/burst per datagram, entered so that the mean loss stays
// `probability`). Given as mean loss and mean burst, not as the chain's raw
// transition probabilities.
#include <algorithm>

#include "toxics/datagram_factory.h"

namespace jinx {

const ToxicType& loss_toxic();

namespace {

class LossStage final : public DatagramStage {
 public:
  explicit LossStage(const DatagramParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    Settings s(loss_toxic(), attrs);
    probability_ = s.probability("probability");
    burst_ = s.number("burst");
  }

  void push(Datagram&& d, DatagramIo& io) override {
    double u = draws_for(rng_, d).uniform();
    bool lose = false;
    if (probability_ >= 1) {
      lose = true;
    } else if (burst_ <= 1) {
      lose = u < probability_;
    } else {
      double leave = 1 / burst_;  // a burst's length is geometric, of mean `burst`
      double enter = std::min(1.0, probability_ * leave / (1 - probability_));
      lose = bad_ ? u >= leave : u < enter;
    }
    bad_ = lose;
    if (lose) {
      io.count(DatagramFate::dropped, d.size());
    } else {
      io.emit(std::move(d));
    }
  }

 private:
  Rng rng_;
  double probability_ = 0;
  double burst_ = 1;
  bool bad_ = false;
};

}  // namespace

const ToxicType& loss_toxic() {
  static const ToxicType type{
      "loss",
      ToxicKind::stage,
      "drops datagrams with the given probability, alone or in bursts of mean length `burst`",
      {{"probability", Unit::probability, true, 0, "mean share of datagrams dropped", {}, 0, 1},
       {"burst",
        Unit::count,
        false,
        1,
        "mean length of a burst of losses (1 = independent)",
        {},
        1,
        1e6}},
      kUdp,
      nullptr,
      nullptr,
      [](const DatagramParams& p) -> std::unique_ptr<DatagramStage> {
        return std::make_unique<LossStage>(p);
      }};
  return type;
}

}  // namespace jinx
