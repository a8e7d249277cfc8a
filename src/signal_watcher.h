// SIGINT and SIGTERM for the whole life of a session (SPEC 8, issue 9 #20).
//
// The signals are blocked in every thread (before libuv starts any) and read
// from a signalfd, watched on the loop. They stay blocked until the process
// exits, so no signal ever finds its default action: one that arrives after
// the loop has closed its handles (while the last events drain) is still
// read here, and jinx exits at once with 128+N instead of being killed by it.
// A wrapped command gets the default mask and actions back (libuv resets
// them in the child before exec).
#pragma once

#include <uv.h>

#include <functional>

namespace jinx {

class SignalWatcher {
 public:
  // Blocks SIGINT and SIGTERM; call before any thread is started.
  SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher();

  // Calls on_signal(signum) from the loop for each signal received. The
  // watcher is closed with the loop's other handles.
  void start(uv_loop_t* loop, std::function<void(int)> on_signal);

  // A signal received and not yet read, or 0; never waits.
  int take();
  // Readable when a signal is pending (for poll(2) after the loop).
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  uv_poll_t poll_{};
  std::function<void(int)> on_signal_;
};

}  // namespace jinx
