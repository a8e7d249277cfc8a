// corrupt on UDP: with `probability` per datagram, one random bit of it is
// flipped (on TCP the probability is per byte).
#include "toxics/datagram_factory.h"

namespace jinx {

const ToxicType& corrupt_toxic();

namespace {

class DatagramCorruptStage final : public DatagramStage {
 public:
  explicit DatagramCorruptStage(const DatagramParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    probability_ = Settings(corrupt_toxic(), attrs).probability("probability");
  }

  void push(Datagram&& d, DatagramIo& io) override {
    Rng draws = draws_for(rng_, d);
    if (!d.bytes.empty() && draws.chance(probability_)) {
      uint64_t bit = draws.below(d.size() * 8);
      d.bytes[bit / 8] = static_cast<char>(d.bytes[bit / 8] ^ (1U << (bit % 8)));
      io.count(DatagramFate::corrupted, d.size());
    }
    io.emit(std::move(d));
  }

 private:
  Rng rng_;
  double probability_ = 0;
};

}  // namespace

std::unique_ptr<DatagramStage> make_corrupt_datagram(const DatagramParams& params) {
  return std::make_unique<DatagramCorruptStage>(params);
}

}  // namespace jinx
