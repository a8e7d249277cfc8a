// jinx as a child of the soak: stdout is read on the soak's loop and handed
// over one parsed event at a time (nothing is kept, so a ten-minute run with
// hundreds of thousands of connections costs no memory here); stderr keeps
// its last 16 KiB for the report. The child dies with the soak
// (PR_SET_PDEATHSIG) and runs in its own process group.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loop.h"

namespace soak {

using json = nlohmann::json;

class JinxChild {
 public:
  using OnEvent = std::function<void(const json&)>;
  JinxChild(Loop& loop, const std::string& binary, const std::vector<std::string>& args,
            OnEvent on_event);
  ~JinxChild();  // SIGKILLs the child if it still runs
  JinxChild(const JinxChild&) = delete;
  JinxChild& operator=(const JinxChild&) = delete;

  pid_t pid() const { return pid_; }
  bool stdout_open() const { return out_.fd >= 0; }
  const std::string& stderr_tail() const { return err_.text; }
  size_t lines() const { return lines_; }
  size_t bad_lines() const { return bad_lines_; }

  void signal(int sig);
  // Reaps the child if it exited (no waiting); the raw wait status.
  std::optional<int> poll_exit();
  void kill_now();

 private:
  struct Pipe : Pollable {
    JinxChild* owner = nullptr;
    int fd = -1;
    bool is_stdout = false;
    std::string text;  // partial line (stdout) or tail (stderr)
    void on_events(uint32_t events) override;
  };
  void close_pipe(Pipe& p);
  void take_line(const std::string& line);

  Loop& loop_;
  OnEvent on_event_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  Pipe out_, err_;
  size_t lines_ = 0, bad_lines_ = 0;
};

// What /proc says about a process.
struct ProcSample {
  long rss_kib = -1;
  int fds = -1;
  double cpu_s = 0;  // utime + stime
};
ProcSample sample_proc(pid_t pid);

}  // namespace soak
