// slow_open: connections accepted during the window dial their upstream
// `delay` late, as behind a slow handshake or a cold start; the bytes the
// client sends meanwhile wait. A proxy-level toxic: the proxy carries it out,
// and when several windows overlap the longest delay applies.
#include "toxic_types.h"

namespace jinx {

const ToxicType& slow_open_toxic() {
  static const ToxicType type{
      "slow_open",
      ToxicKind::slow_open,
      "connections accepted during the window dial their upstream delay late",
      {{"delay", Unit::duration, true, 0, "how late the upstream is dialled"}},
      kTcp | kHttp};
  return type;
}

}  // namespace jinx
