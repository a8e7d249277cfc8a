#include "close_reason.h"

namespace jinx {

const char* close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::client_closed:
      return "client_closed";
    case CloseReason::upstream_closed:
      return "upstream_closed";
    case CloseReason::client_reset:
      return "client_reset";
    case CloseReason::upstream_reset:
      return "upstream_reset";
    case CloseReason::upstream_unreachable:
      return "upstream_unreachable";
    case CloseReason::toxic:
      return "toxic";
    case CloseReason::proxy_down:
      return "proxy_down";
    case CloseReason::shutdown:
      return "shutdown";
    case CloseReason::error:
      return "error";
  }
  return "error";
}

}  // namespace jinx
