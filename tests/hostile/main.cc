// jinx_hostile_tests: the real jinx binary on 127.0.0.1 against peers that
// misbehave (issue 6, item 4). Each test case is one behaviour.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "hostile.h"

int main(int argc, char** argv) {
  // The storm holds thousands of sockets here (clients and the upstream);
  // jinx inherits the raised soft limit too.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  signal(SIGPIPE, SIG_IGN);
  doctest::Context context(argc, argv);
  return context.run();
}
