// process.cc — see process.h.
#include "process.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>

#include "child_process.h"
#include "net.h"

namespace bench {

namespace {

// Live children, as process-group ids. Signal handlers read it, so it is a
// plain array of atomics rather than a container.
constexpr int kMaxChildren = 64;
std::atomic<pid_t> g_children[kMaxChildren];

void remember(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void forget(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t p = pid;
    if (slot.compare_exchange_strong(p, 0)) return;
  }
}

void kill_all_children() {
  for (auto& slot : g_children) {
    pid_t p = slot.exchange(0);
    if (p > 0) kill(-p, SIGKILL);
  }
}

// Paths prepared in advance: a signal handler may only call unlink/rmdir.
constexpr int kMaxScratch = 9;
char g_scratch[kMaxScratch][512];  // files first, the directory last
std::atomic<int> g_scratch_count{0};

void on_fatal_signal(int sig) {
  kill_all_children();
  if (sig == SIGSEGV || sig == SIGABRT) {  // a bug in the bench itself: say where
    void* frames[32];
    const char msg[] = "jinx_bench: crashed; backtrace:\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
  }
  int n = g_scratch_count.load();
  for (int i = 0; i < n - 1; ++i) unlink(g_scratch[i]);
  if (n > 0) rmdir(g_scratch[n - 1]);
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void install_child_cleanup() {
  void* prime[1];
  backtrace(prime, 1);  // loads libgcc now: the crash handler must not allocate
  std::atexit(kill_all_children);
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT}) sigaction(sig, &sa, nullptr);
}

void remove_at_signal(const std::string& dir, const std::vector<std::string>& files) {
  g_scratch_count = 0;
  int n = 0;
  for (const auto& f : files) {
    if (n == kMaxScratch - 1) break;
    std::snprintf(g_scratch[n++], sizeof g_scratch[0], "%s/%s", dir.c_str(), f.c_str());
  }
  std::snprintf(g_scratch[n++], sizeof g_scratch[0], "%s", dir.c_str());
  g_scratch_count = n;
}

bool Child::spawn(const std::vector<std::string>& argv, const std::string& log_path,
                  bool pipe_stdout, std::string* err) {
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *err = "cannot open " + log_path + ": " + std::strerror(errno);
    return false;
  }
  int out[2] = {-1, -1};
  if (pipe_stdout && pipe2(out, O_CLOEXEC) != 0) {
    *err = std::string("pipe: ") + std::strerror(errno);
    close(log_fd);
    return false;
  }
  jinx_test::SpawnSpec spec;
  spec.argv = argv;
  spec.stdout_fd = pipe_stdout ? out[1] : log_fd;
  spec.stderr_fd = log_fd;
  spec.die_with_parent = true;
  pid_t pid = jinx_test::spawn(spec, err);
  close(log_fd);
  if (pipe_stdout) close(out[1]);
  if (pid < 0) {
    if (pipe_stdout) close(out[0]);
    return false;
  }
  remember(pid);
  pid_ = pid;
  stdout_fd_ = pipe_stdout ? out[0] : -1;
  return true;
}

bool Child::running() {
  if (pid_ <= 0) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    exited_ = true;
    forget(pid_);
    kill(-pid_, SIGKILL);  // anything left in its group (socat's children)
    pid_ = -1;
    return false;
  }
  return true;
}

std::string Child::exit_reason() {
  if (running() || !exited_) return "";
  return jinx_test::wait_status_text(status_);
}

void Child::stop(double grace_s) {
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);
    double deadline = now_s() + grace_s;
    while (running() && now_s() < deadline) sleep_s(0.005);
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      forget(pid_);
      pid_ = -1;
    }
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* env = std::getenv("PATH");
  std::string path = std::string(env != nullptr ? env : "/usr/bin:/bin") + ":/usr/sbin:/sbin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (!dir.empty() && stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

std::string output_line(const std::vector<std::string>& argv, const std::string& containing) {
  char tmpl[] = "/tmp/jinx-bench-version.XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return "";
  close(fd);
  Child c;
  std::string err;
  if (!c.spawn(argv, tmpl, false, &err)) {
    unlink(tmpl);
    return "";
  }
  double deadline = now_s() + 3;
  while (c.running() && now_s() < deadline) sleep_s(0.005);
  c.stop(0.5);
  std::ifstream in(tmpl);
  std::string found;
  for (std::string line; found.empty() && std::getline(in, line);) {
    if (line.find(containing) != std::string::npos) found = line;
  }
  unlink(tmpl);
  return found;
}

std::string tail_file(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "    " + l + "\n";
  return out;
}

}  // namespace bench
