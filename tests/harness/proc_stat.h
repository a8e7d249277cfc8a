// What /proc says about a process under test (jinx, or a relay the bench
// compares it with): memory, CPU, open files, children. The one /proc reader
// of e2e, hostile, soak and bench.
//
// socat forks one process per connection, so the tree_* figures cover a
// process tree: the process and its live children. CPU adds the children
// that already exited and were reaped (cutime/cstime). Memory of a tree is
// the sum of PSS (proportional set size) over its processes, because summing
// RSS would count the shared pages of a forked socat ten thousand times; a
// single process reports VmRSS. A figure compares like with like: a relay
// that forks is measured with PSS before and after, one that does not with
// VmRSS.
#pragma once

#include <sys/types.h>

#include <vector>

namespace jinx_test {

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"), or -1.
long status_kib(pid_t pid, const char* field);
// Current VmRSS in KiB, or -1.
long rss_kib(pid_t pid);
// Pss of /proc/PID/smaps_rollup in KiB, or -1.
long pss_kib(pid_t pid);

// utime + stime, in seconds (from /proc/PID/stat); 0 if unreadable.
double cpu_seconds(pid_t pid);
// utime+stime (+ reaped children) of pid and its live children, in seconds.
double tree_cpu_seconds(pid_t pid);

// Entries in /proc/PID/fd, or -1.
int open_fds(pid_t pid);
// Direct children of pid (scans /proc).
std::vector<pid_t> children_of(pid_t pid);

struct TreeMemory {
  long kib = -1;
  bool pss = false;  // true: summed PSS over the tree; false: VmRSS of pid
  int processes = 0;
};
TreeMemory tree_memory(pid_t pid, bool pss);

}  // namespace jinx_test
