// The end-to-end suite: the real jinx binary on 127.0.0.1 against real
// servers (tests/harness). Suites, for running a theme or a shard with
// -ts=NAME[,NAME]: relay, latency, down, timeline, exit, output, bad_files,
// toxics (issue 3), session (issue 4).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
