// Starting a child process: the one launcher of e2e, hostile, soak and bench
// (jinx under test, and the relays the bench compares it with).
//
// The child runs in a process group of its own (so a kill of the group takes
// a wrapped command or socat's forked children with it), with every signal
// at its default and none blocked (ignored signals would stay ignored across
// exec). Everything the child needs is built before fork(): between fork and
// exec the child of a multi-threaded parent may only make async-signal-safe
// calls.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jinx_test {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: a path, or a name searched in PATH
  std::vector<std::pair<std::string, std::string>> env;  // set over the parent's environment
  // The child's descriptors 0, 1 and 2; -1 is /dev/null. The caller closes
  // its copies of the child's ends after spawn().
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  std::optional<rlim_t> open_files;  // RLIMIT_NOFILE (soft and hard), as `ulimit -n`
  bool die_with_parent = false;      // PR_SET_PDEATHSIG SIGKILL
};

// Forks and execs. Returns the pid, or -1 with *err saying why (fork, or an
// exec that failed: its errno comes back through a close-on-exec pipe).
pid_t spawn(const SpawnSpec& spec, std::string* err);

// A close-on-exec pipe {read end, write end}; throws std::runtime_error.
std::pair<int, int> make_pipe();

// "exited with code 1" / "killed by signal 11 (Segmentation fault)", from a
// waitpid status.
std::string wait_status_text(int status);

}  // namespace jinx_test
