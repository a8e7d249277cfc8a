// corrupt: each passing byte has one random bit flipped with `probability`.
// Rather than a draw per byte, the gap to the next corrupted byte is drawn
// from the geometric distribution, so clean bytes cost nothing.
#include <cmath>

#include "toxics/datagram_factory.h"
#include "toxics/factory.h"

namespace jinx {

const ToxicType& corrupt_toxic();

namespace {

class CorruptStage final : public Stage {
 public:
  explicit CorruptStage(const StageParams& p) : rng_(p.rng) {
    update(p.attrs);
    gap_ = draw_gap();
  }

  void update(const std::vector<double>& attrs) override {
    double probability = Settings(corrupt_toxic(), attrs).probability("probability");
    bool changed = probability != probability_;
    probability_ = probability;
    if (changed) gap_ = draw_gap();
  }

  void push(Chunk&& chunk, StageIo& io) override {
    size_t size = chunk.size();
    auto* data = reinterpret_cast<unsigned char*>(size > 0 ? chunk.data() : nullptr);
    size_t at = 0;
    while (gap_ < size - at) {
      at += gap_;
      data[at] ^= static_cast<unsigned char>(1U << rng_.below(8));
      ++at;
      gap_ = draw_gap();
    }
    gap_ -= size - at;
    io.emit(std::move(chunk));
  }

 private:
  // Number of clean bytes before the next corrupted one.
  uint64_t draw_gap() {
    if (probability_ <= 0) return UINT64_MAX;
    if (probability_ >= 1) return 0;
    double u = 1.0 - rng_.uniform();  // (0, 1]
    double gap = std::floor(std::log(u) / std::log1p(-probability_));
    return gap >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(gap);
  }

  Rng rng_;
  double probability_ = 0;
  uint64_t gap_ = 0;
};

}  // namespace

const ToxicType& corrupt_toxic() {
  static const ToxicType type{
      "corrupt",
      ToxicKind::stage,
      "flips one random bit in each byte (UDP: each datagram) with the given probability",
      {{"probability",
        Unit::probability,
        true,
        0,
        "chance that a byte (UDP: a datagram) has a bit flipped",
        {},
        0,
        1}},
      kTcp | kHttp | kUdp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<CorruptStage>(p);
      },
      nullptr,
      make_corrupt_datagram};
  return type;
}

}  // namespace jinx
