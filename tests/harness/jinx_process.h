// The real jinx binary as a child process (fork/exec, no shell).
//
// A reader thread collects stdout line by line (each line parsed as JSON when
// it is JSON, stamped with the time it was read) and stderr as text, so no
// wait can block forever: every wait has a deadline, and a failed wait throws
// std::runtime_error carrying what jinx printed, which doctest reports.
//
// The child runs in its own process group; the destructor SIGKILLs the group
// (jinx and a wrapped COMMAND) if it is still running.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "clock.h"
#include "events.h"
#include "temp_dir.h"

namespace jinx_test {

struct ExitStatus {
  bool timed_out = false;  // still running at the deadline
  bool exited = false;     // exited normally; code is valid
  int code = -1;
  int signal = 0;  // the signal that killed it, if any
  std::string str() const;
};

// How to start jinx (besides its arguments).
struct JinxOptions {
  std::optional<std::string> stdin_text;                 // fed to stdin, then EOF; else /dev/null
  std::vector<std::pair<std::string, std::string>> env;  // set in the child
  bool stderr_pty = false;           // stderr is a pseudo-terminal (status line)
  std::optional<rlim_t> open_files;  // RLIMIT_NOFILE (soft and hard) in the child
  std::string scenario;              // shown by describe()
  std::shared_ptr<TempDir> dir;      // kept alive with the process
};

class JinxProcess {
 public:
  using Options = JinxOptions;

  // Runs `JINX_BINARY args...`.
  explicit JinxProcess(std::vector<std::string> args, Options opts = {});
  ~JinxProcess();
  JinxProcess(const JinxProcess&) = delete;
  JinxProcess& operator=(const JinxProcess&) = delete;

  // `jinx run OPTIONS FILE [-- COMMAND...]` with the scenario in a temp file.
  static std::unique_ptr<JinxProcess> run(std::string_view scenario,
                                          std::vector<std::string> options = {},
                                          std::vector<std::string> command = {}, Options opts = {});
  // `jinx run OPTIONS -` with the scenario on stdin.
  static std::unique_ptr<JinxProcess> run_stdin(std::string_view scenario,
                                                std::vector<std::string> options = {});

  // The first stdout event (from the start) matching the predicate; throws if
  // none arrives in time or stdout closes first.
  Event wait(const EventPred& pred, ms timeout, const std::string& what);
  json wait_event(const Match& m, ms timeout = 5000ms) { return wait(m, timeout, m.str()).body; }
  json wait_event(const EventPred& p, ms timeout, const std::string& what) {
    return wait(p, timeout, what).body;
  }
  Event wait_at(const Match& m, ms timeout = 5000ms) { return wait(m, timeout, m.str()); }
  // Waits until at least n events match; returns them all.
  std::vector<Event> wait_count(const EventPred& pred, size_t n, ms timeout,
                                const std::string& what);
  std::vector<Event> wait_count(const Match& m, size_t n, ms timeout) {
    return wait_count(m, n, timeout, m.str());
  }

  // Events matching so far (no waiting).
  std::vector<Event> find(const EventPred& pred) const;
  // Every stdout line so far.
  std::vector<Event> lines() const;
  std::string stderr_text() const;

  // The bound address ("127.0.0.1:PORT") from the proxy's proxy_listen event.
  std::string listen_address(const std::string& proxy, ms timeout = 5000ms);

  // Stops reading stdout (a reader that stalls, `| sleep 600`), and starts again.
  void pause_stdout();
  void resume_stdout();
  // Closes the reading end of stdout, as `| head -1` does after its line.
  void close_stdout();

  void send_signal(int sig);
  // Waits for the exit (and for stdout to be drained); timed_out if still
  // running at the deadline.
  ExitStatus wait_exit(ms timeout);
  bool running();
  pid_t pid() const { return pid_; }
  // The scratch directory (for files a wrapped command writes).
  TempDir& dir() { return *opts_.dir; }

  // Command line, exit status, stdout and stderr, for failure messages.
  std::string describe() const;

 private:
  void start();
  // Events matching so far; the caller holds mu_.
  std::vector<Event> matching(const EventPred& pred) const;
  void reader_loop();
  void take_stdout(const char* data, size_t n, std::string& partial);
  bool reap(int flags);
  // After stdout closed: give the process a moment to exit, so that
  // describe() can tell how it ended.
  void settle();

  std::vector<std::string> args_;
  Options opts_;
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, in_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> lines_;
  std::string stderr_;
  bool stdout_eof_ = false;
  bool stderr_eof_ = false;
  bool stop_reader_ = false;
  bool stdout_paused_ = false;
  bool stdout_close_ = false;
  std::optional<ExitStatus> status_;
  std::thread reader_;
};

// Runs jinx to completion (killing it at the timeout): for check, plan,
// toxics, bad files and usage errors.
struct Completed {
  ExitStatus status;
  std::vector<std::string> out;  // stdout lines
  std::string err;               // stderr
  std::string report;            // describe() of the run
};
Completed run_jinx(std::vector<std::string> args, JinxProcess::Options opts = {},
                   ms timeout = 10000ms);

}  // namespace jinx_test
