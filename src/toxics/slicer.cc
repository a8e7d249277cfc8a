// slicer: data leaves in pieces of average_size +/- size_variation bytes,
// `delay` apart. A piece may span the end of one chunk and the start of the
// next; its parts leave together. Only the tail of a burst can be shorter.
#include <algorithm>
#include <deque>

#include "toxics/factory.h"
#include "toxics/held_queue.h"

namespace jinx {

const ToxicType& slicer_toxic();

namespace {

class SlicerStage final : public Stage {
 public:
  explicit SlicerStage(const StageParams& p) : rng_(p.rng) { update(p.attrs); }

  void update(const std::vector<double>& attrs) override {
    // The loader keeps variation < average at both ends of any ramp; the
    // clamp keeps a piece at least 1 byte whatever comes in (issue 9 #12).
    Settings s(slicer_toxic(), attrs);
    average_ = std::max<size_t>(s.size("average_size"), 1);
    variation_ = std::min<size_t>(s.size("size_variation"), average_ - 1);
    delay_ = s.duration("delay");
  }

  void push(Chunk&& chunk, StageIo& io) override {
    push_merged(queue_, std::move(chunk));
    pump(io);
  }
  Micros wakeup() const override { return queue_.empty() ? kNever : next_; }
  void on_timer(StageIo& io) override { pump(io); }
  void flush(StageIo& io) override { emit_all(queue_, io); }

 private:
  size_t draw_size() {
    size_t lo = average_ - variation_;
    return lo + static_cast<size_t>(rng_.below(2 * variation_ + 1));
  }

  void pump(StageIo& io) {
    while (!queue_.empty() && next_ <= io.now()) {
      size_t want = draw_size();
      while (want > 0 && !queue_.empty()) {
        Chunk& head = queue_.front();
        if (head.eof()) break;
        if (head.size() <= want) {
          want -= head.size();
          io.emit(std::move(head));
          queue_.pop_front();
        } else {
          io.emit(head.take_front(want));
          want = 0;
        }
      }
      if (!queue_.empty() && queue_.front().eof()) {
        io.emit(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (delay_ > 0) next_ = io.now() + delay_;
    }
  }

  Rng rng_;
  size_t average_ = 1;
  size_t variation_ = 0;
  Micros delay_ = 0;
  Micros next_ = 0;
  std::deque<Chunk> queue_;
};

std::string check_slicer(const Settings& s, std::string_view* culprit) {
  if (s.number("size_variation") >= s.number("average_size")) {
    *culprit = "size_variation";
    return "slicer 'size_variation' must be smaller than 'average_size'";
  }
  return {};
}

}  // namespace

const ToxicType& slicer_toxic() {
  static const ToxicType type{
      "slicer",
      ToxicKind::stage,
      "writes data in pieces of average_size +/- size_variation bytes, delay apart",
      {{"average_size", Unit::size, true, 0, "mean piece size", {}, 1},
       {"size_variation", Unit::size, false, 0, "spread of piece sizes, < average_size"},
       {"delay", Unit::duration, false, 0, "pause between pieces"}},
      kTcp | kHttp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<SlicerStage>(p);
      },
      check_slicer};
  return type;
}

}  // namespace jinx
