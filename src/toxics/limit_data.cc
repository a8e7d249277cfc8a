// limit_data: once `bytes` bytes have passed since the toxic became active on
// the connection, the rest is dropped and the connection is closed as soon as
// those bytes are delivered: exactly `bytes` arrive.
#include "toxics/factory.h"

namespace jinx {

const ToxicType& limit_data_toxic();

namespace {

class LimitDataStage final : public Stage {
 public:
  explicit LimitDataStage(const StageParams& p) : limit_(p.settings().size("bytes")) {}

  void activate(StageIo& io) override {
    if (limit_ == 0) finish(io);
  }

  void push(Chunk&& chunk, StageIo& io) override {
    if (done_) {
      io.discard(chunk.size());
      return;
    }
    if (chunk.eof()) {
      io.emit(std::move(chunk));
      return;
    }
    uint64_t room = limit_ - passed_;
    if (chunk.size() < room) {
      passed_ += chunk.size();
      io.emit(std::move(chunk));
      return;
    }
    io.discard(chunk.size() - room);
    chunk.truncate(room);
    passed_ += room;
    io.emit(std::move(chunk));
    finish(io);
  }

 private:
  void finish(StageIo& io) {
    done_ = true;
    io.act(ToxicAction::close_after_flush);
  }

  uint64_t limit_;
  uint64_t passed_ = 0;
  bool done_ = false;
};

}  // namespace

const ToxicType& limit_data_toxic() {
  static const ToxicType type{
      "limit_data",
      ToxicKind::stage,
      "closes the connection once exactly bytes bytes have passed since activation",
      {{"bytes", Unit::size, true, 0, "bytes delivered before the close"}},
      kTcp | kHttp,
      [](const StageParams& p) -> std::unique_ptr<Stage> {
        return std::make_unique<LimitDataStage>(p);
      }};
  return type;
}

}  // namespace jinx
