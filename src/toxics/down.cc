// down: the proxy goes away for the window: its listener closes (new clients
// are refused) and its open connections are closed; it binds the same address
// again when the window ends. A proxy-level toxic: the proxy carries it out.
#include "toxic_types.h"

namespace jinx {

const ToxicType& down_toxic() {
  static const ToxicType type{
      "down",
      ToxicKind::down,
      "closes the listener (connections refused) and open connections; rebinds after. UDP: "
      "drops every datagram and forgets the flows",
      {},
      kTcp | kHttp | kUdp};
  return type;
}

}  // namespace jinx
