// Why a connection ended: the `reason` of conn_close (SPEC 7).
#pragma once

namespace jinx {

enum class CloseReason {
  client_closed,
  upstream_closed,
  client_reset,
  upstream_reset,
  upstream_unreachable,
  toxic,
  proxy_down,
  shutdown,
  error,
};

// The name conn_close prints.
const char* close_reason_name(CloseReason r);

}  // namespace jinx
