// What /proc says about a process (jinx under test): memory, CPU, open files.
#pragma once

#include <sys/types.h>

namespace jinx_test {

// Current VmRSS in KiB, or -1.
long rss_kib(pid_t pid);
// utime + stime, in seconds (from /proc/PID/stat).
double cpu_seconds(pid_t pid);
// Entries in /proc/PID/fd, or -1.
int open_fds(pid_t pid);

}  // namespace jinx_test
