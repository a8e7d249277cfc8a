// EventOutput on a real loop and a real pipe: a reader that stalls costs
// dropped lines (counted, reported once there is room), never a blocked
// loop; a reader that leaves is reported as EPIPE. Ends with
// uv_loop_close() == 0.
#include "event_output.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace jinx;

namespace {

struct Owner : EventOutputOwner {
  std::vector<int> failures;
  std::vector<uint64_t> drops;
  void output_failed(int error) override { failures.push_back(error); }
  void output_dropped(uint64_t lines) override { drops.push_back(lines); }
};

// Reads everything the pipe holds now.
std::string drain_pipe(int fd) {
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  return all;
}

}  // namespace

TEST_CASE("event output: a stalled reader drops whole lines, counted; a gone one is EPIPE") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  uv_loop_t loop;
  uv_loop_init(&loop);
  Owner owner;
  {
    EventOutput out(fds[1], 4096);
    REQUIRE(out.non_blocking());  // a pipe gets a description of its own
    out.start(&loop, &owner);
    std::string line(99, 'x');
    line += '\n';
    // Fill the pipe (64 KiB), then far more than the queue (4 KiB) holds:
    // the loop is never blocked, the rest is dropped.
    int added = 0;
    while (!out.pending()) {
      for (int i = 0; i < 10; ++i, ++added) out.add_line(line);
      out.flush();
    }
    for (int i = 0; i < 2000; ++i, ++added) out.add_line(line);
    out.flush();
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(out.dropped() > 0);
    CHECK(owner.drops.empty());  // not yet: the queue is still full

    std::string got;
    for (int turn = 0; turn < 100 && owner.drops.empty(); ++turn) {
      got += drain_pipe(fds[0]);
      uv_run(&loop, UV_RUN_NOWAIT);
    }
    got += drain_pipe(fds[0]);
    REQUIRE(owner.drops.size() == 1);
    CHECK(owner.drops[0] == out.dropped());
    CHECK(got.size() % line.size() == 0);  // whole lines only
    CHECK(got.size() / line.size() + out.dropped() == static_cast<uint64_t>(added));

    close(fds[0]);  // the reader leaves (`| head -1`)
    for (int turn = 0; turn < 100 && owner.failures.empty(); ++turn) uv_run(&loop, UV_RUN_ONCE);
    REQUIRE(owner.failures.size() == 1);
    CHECK(owner.failures[0] == UV_EPIPE);
    out.add_line(line);  // ignored from now on
    CHECK_FALSE(out.pending());

    uv_walk(
        &loop, [](uv_handle_t* h, void*) { uv_close(h, nullptr); }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(uv_loop_close(&loop) == 0);
  close(fds[1]);
}
