// jinx started the way `ulimit -n N; jinx run ...` would: the child sets
// RLIMIT_NOFILE (soft and hard) to N before exec, so jinx cannot raise it.
// The harness's JinxProcess has no hook for that, hence this small twin:
// fork/exec, its own process group, a reader thread for stdout (JSON events)
// and stderr, bounded waits that throw with what jinx printed.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "events.h"
#include "jinx_process.h"
#include "temp_dir.h"

namespace jinx_test {

class LimitedJinx {
 public:
  // `jinx run --no-progress FILE` with the scenario written to a temp file.
  LimitedJinx(const std::string& scenario, rlim_t nofile);
  ~LimitedJinx();  // SIGKILLs the process group if still running
  LimitedJinx(const LimitedJinx&) = delete;
  LimitedJinx& operator=(const LimitedJinx&) = delete;

  pid_t pid() const { return pid_; }
  json wait_event(const Match& m, ms timeout);
  // Events matching so far.
  std::vector<json> find(const Match& m) const;
  std::string listen_address(const std::string& proxy, ms timeout = 5000ms);
  void send_signal(int sig);
  bool running();
  ExitStatus wait_exit(ms timeout);
  std::string describe() const;

 private:
  void reader_loop();
  bool reap(int flags);

  TempDir dir_;
  std::string scenario_;
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<json> events_;
  std::string stderr_;
  bool eof_ = false, stop_ = false;
  std::optional<ExitStatus> status_;
  std::thread reader_;
};

}  // namespace jinx_test
