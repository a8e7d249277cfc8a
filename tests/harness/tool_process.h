// Other people's programs in the tests (iperf3, dig, dnsmasq): run one to its
// end with its output captured, or keep one running in the background for as
// long as a test needs it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "clock.h"

namespace jinx_test {

struct ToolResult {
  bool timed_out = false;  // killed at the deadline
  int status = -1;         // waitpid status
  std::string out;         // stdout and stderr together
  int exit_code() const;   // -1 unless it exited normally
};

// Runs argv to its end (killed after `timeout`), capturing its output.
ToolResult run_tool(const std::vector<std::string>& argv, ms timeout);

// Whether `name` is a program on PATH.
bool have_tool(const std::string& name);

// A program running until the object goes: its process group is killed then.
class BackgroundTool {
 public:
  explicit BackgroundTool(const std::vector<std::string>& argv);
  ~BackgroundTool();
  BackgroundTool(const BackgroundTool&) = delete;
  BackgroundTool& operator=(const BackgroundTool&) = delete;
  pid_t pid() const { return pid_; }
  bool running();

 private:
  pid_t pid_ = -1;
};

}  // namespace jinx_test
