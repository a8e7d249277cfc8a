#include "tool_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "child_process.h"

namespace jinx_test {

int ToolResult::exit_code() const {
  return !timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ToolResult run_tool(const std::vector<std::string>& argv, ms timeout) {
  auto [read_end, write_end] = make_pipe();
  SpawnSpec spec;
  spec.argv = argv;
  spec.stdout_fd = write_end;
  spec.stderr_fd = write_end;
  spec.die_with_parent = true;
  std::string err;
  pid_t pid = spawn(spec, &err);
  ::close(write_end);
  if (pid < 0) {
    ::close(read_end);
    throw std::runtime_error("cannot run " + argv[0] + ": " + err);
  }
  ToolResult result;
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<ms>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd p{read_end, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(read_end, buf, sizeof buf);
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  ::close(read_end);
  waitpid(pid, &result.status, 0);
  return result;
}

bool have_tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

BackgroundTool::BackgroundTool(const std::vector<std::string>& argv) {
  SpawnSpec spec;
  spec.argv = argv;
  spec.die_with_parent = true;
  std::string err;
  pid_ = spawn(spec, &err);
  if (pid_ < 0) throw std::runtime_error("cannot run " + argv[0] + ": " + err);
}

bool BackgroundTool::running() {
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

BackgroundTool::~BackgroundTool() {
  kill(-pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

}  // namespace jinx_test
