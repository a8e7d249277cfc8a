// A uv_timer_t allocated with `new` by its owner, who closes it with this:
// the memory goes in the close callback, one loop turn later (libuv's rule).
#pragma once

#include <uv.h>

namespace jinx {

inline void close_and_delete_timer(uv_timer_t* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

}  // namespace jinx
