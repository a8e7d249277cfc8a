// The status line's list of active toxics: whole names, then "+N more".
#include "status_line.h"

#include <doctest/doctest.h>

using jinx::toxic_list;

TEST_CASE("the toxic list shortens to whole names and '+N more'") {
  std::vector<std::string> names{"slow-replies", "flaky-conn", "partition", "bit-rot"};
  CHECK(toxic_list({}, 80) == "none");
  CHECK(toxic_list(names, 80) == "slow-replies, flaky-conn, partition, bit-rot");
  CHECK(toxic_list(names, 30) == "slow-replies, +3 more");
  CHECK(toxic_list(names, 40) == "slow-replies, flaky-conn, +2 more");
  CHECK(toxic_list(names, 8) == "+4 more");
  for (size_t room = 8; room < 60; ++room) {
    CAPTURE(room);
    std::string list = toxic_list(names, room);
    CHECK(list.size() <= room);
    // Every name shown is shown whole.
    for (const char* cut : {"slow-r,", "flaky-c,", "partit,", "bit-r,"}) {
      CHECK(list.find(cut) == std::string::npos);
    }
  }
}
