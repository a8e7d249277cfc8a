// The command after `--` (SPEC 1, jinx(1) "WRAPPING A COMMAND"): started once
// every listener is bound, with JINX_<PROXY>, JINX_<PROXY>_HOST and
// JINX_<PROXY>_PORT in its environment.
//
// It runs in a session and process group of its own (setsid), so that
// ending it reaches everything it started (`make` and its children, `sh -c`
// and its `sleep`): the whole group gets SIGTERM, then SIGKILL if the command
// has not exited 5 s later. Having no controlling terminal, it does not see a
// Ctrl-C meant for jinx; jinx ends the session and signals the group.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace jinx {

class WrappedCommand {
 public:
  // status: the exit code, or -1 when term_signal killed it.
  using ExitCallback = std::function<void(int64_t status, int term_signal)>;

  WrappedCommand() = default;
  WrappedCommand(const WrappedCommand&) = delete;
  WrappedCommand& operator=(const WrappedCommand&) = delete;

  // Spawns argv with our environment plus `env` (NAME, VALUE), replacing
  // variables of the same names. stdin is shared; stdout goes to our stderr
  // (jinx's stdout carries events only). 0, or a UV_E* error.
  int start(uv_loop_t* loop, const std::vector<std::string>& argv,
            const std::vector<std::pair<std::string, std::string>>& env, ExitCallback on_exit);

  // SIGTERM to the group now, SIGKILL 5 s later if the command still runs.
  void terminate();
  // SIGKILL to the group (a second Ctrl-C).
  void kill_now();

  bool running() const { return running_; }
  bool started() const { return started_; }
  int pid() const { return pid_; }

 private:
  void signal_group(int signum);

  uv_process_t process_{};
  uv_timer_t kill_timer_{};
  ExitCallback on_exit_;
  int pid_ = 0;
  bool started_ = false;
  bool running_ = false;
};

// "JINX_<PROXY>" for a proxy name: upper-cased, every character outside
// A-Z0-9 turned into '_'. The three variables for a proxy bound at `address`.
std::vector<std::pair<std::string, std::string>> proxy_environment(const std::string& proxy,
                                                                   const std::string& address);

}  // namespace jinx
