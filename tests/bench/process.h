// process.h — starting relays as child processes (with the harness's
// spawn()), and never leaving one behind.
//
// Each child runs in its own process group (so socat's forked children go
// with it) and dies with the bench (PR_SET_PDEATHSIG). Every live child is
// also kept in a fixed table that the exit and signal handlers walk, so an
// error, an exception or a Ctrl-C kills everything the bench started.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace bench {

// Installs the atexit and SIGINT/SIGTERM/SIGHUP handlers. Call once, early.
void install_child_cleanup();

// Files (and then their directory) that the signal handler removes too:
// on Ctrl-C no destructor runs. At most 8 files.
void remove_at_signal(const std::string& dir, const std::vector<std::string>& files);

class Child {
 public:
  Child() = default;
  ~Child() { stop(1.0); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts argv[0] (searched in PATH). stdout goes to a pipe (read it with
  // stdout_fd()) when pipe_stdout, else to log_path like stderr.
  bool spawn(const std::vector<std::string>& argv, const std::string& log_path, bool pipe_stdout,
             std::string* err);

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return stdout_fd_; }
  bool running();                              // reaps it if it exited
  int exit_status() const { return status_; }  // waitpid status, after exit
  // "" while it runs; else "exited with code 1" / "killed by signal 11 (Segmentation fault)".
  std::string exit_reason();

  // SIGTERM to the group; SIGKILL after grace_s. Idempotent.
  void stop(double grace_s);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

// Finds an executable in PATH, then in /usr/sbin and /sbin (haproxy lives
// there and a non-root PATH may lack them). "" if absent.
std::string find_executable(const std::string& name);

// Runs a command (3 s at most) and returns the first line of its output
// that contains `containing` (for versions).
std::string output_line(const std::vector<std::string>& argv, const std::string& containing = "");

// The last `lines` lines of a file, for error messages.
std::string tail_file(const std::string& path, int lines);

}  // namespace bench
