#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace jinx_test {
namespace {

// The parent's environment with spec.env set over it.
std::vector<std::string> child_environment(const SpawnSpec& spec) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& [k, v] : spec.env)
      if (entry.size() > k.size() && entry.substr(0, k.size()) == k && entry[k.size()] == '=')
        overridden = true;
    if (!overridden) out.emplace_back(entry);
  }
  for (const auto& [k, v] : spec.env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child, after fork(): async-signal-safe calls only. Never returns.
[[noreturn]] void exec_child(const SpawnSpec& spec, pid_t parent, int exec_err, char** argv,
                             char** envp) {
  setpgid(0, 0);
  if (spec.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
  }
  if (spec.open_files) {
    rlimit files{*spec.open_files, *spec.open_files};
    setrlimit(RLIMIT_NOFILE, &files);
  }
  int devnull = open("/dev/null", O_RDWR);
  int fds[3] = {spec.stdin_fd, spec.stdout_fd, spec.stderr_fd};
  for (int i = 0; i < 3; ++i) dup2(fds[i] >= 0 ? fds[i] : devnull, i);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execvpe(argv[0], argv, envp);
  int e = errno;
  ssize_t ignored = write(exec_err, &e, sizeof e);
  (void)ignored;
  _exit(127);
}

}  // namespace

std::pair<int, int> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  return {fds[0], fds[1]};
}

pid_t spawn(const SpawnSpec& spec, std::string* err) {
  std::vector<std::string> argv_s = spec.argv;
  std::vector<std::string> env_s = child_environment(spec);
  std::vector<char*> argv = pointers(argv_s), envp = pointers(env_s);
  int exec_err[2];
  if (argv_s.empty() || pipe2(exec_err, O_CLOEXEC) != 0) {
    *err = argv_s.empty() ? "nothing to run" : std::string("pipe2: ") + std::strerror(errno);
    return -1;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) exec_child(spec, parent, exec_err[1], argv.data(), envp.data());
  close(exec_err[1]);
  if (pid < 0) {
    *err = std::string("fork: ") + std::strerror(errno);
    close(exec_err[0]);
    return -1;
  }
  setpgid(pid, pid);  // also here, so a kill of the group cannot race the child
  int e = 0;
  ssize_t n;
  do {
    n = read(exec_err[0], &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  close(exec_err[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {  // exec failed; the child exits 127
    *err = "cannot run " + argv_s[0] + ": " + std::strerror(e);
    waitpid(pid, nullptr, 0);
    return -1;
  }
  return pid;
}

std::string wait_status_text(int status) {
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

}  // namespace jinx_test
