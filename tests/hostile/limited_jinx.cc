#include "limited_jinx.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <stdexcept>

namespace jinx_test {

LimitedJinx::LimitedJinx(const std::string& scenario, rlim_t nofile) : scenario_(scenario) {
  std::string path = dir_.write("scenario.toml", scenario);
  std::vector<std::string> argv_s{JINX_BINARY, "run", "--no-progress", path};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    rlimit lim{nofile, nofile};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(126);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid_, pid_);
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  reader_ = std::thread([this] { reader_loop(); });
}

LimitedJinx::~LimitedJinx() {
  if (!status_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    reap(0);
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  if (reader_.joinable()) reader_.join();
  close(out_fd_);
  close(err_fd_);
}

void LimitedJinx::reader_loop() {
  std::string partial;
  char buf[65536];
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    pollfd fds[2] = {{out_open ? out_fd_ : -1, POLLIN, 0}, {err_open ? err_fd_ : -1, POLLIN, 0}};
    if (poll(fds, 2, 50) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      std::lock_guard lock(mu_);
      if (i == 1) {
        stderr_.append(buf, static_cast<size_t>(n));
        continue;
      }
      partial.append(buf, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
        lines_.push_back(partial.substr(start, nl - start));
        json e = json::parse(lines_.back(), nullptr, false);
        if (!e.is_discarded()) events_.push_back(std::move(e));
      }
      partial.erase(0, start);
      cv_.notify_all();
    }
  }
  std::lock_guard lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

json LimitedJinx::wait_event(const Match& m, ms timeout) {
  auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_);
  size_t scanned = 0;
  for (;;) {
    for (; scanned < events_.size(); ++scanned)
      if (m(events_[scanned])) return events_[scanned];
    if (eof_ || Clock::now() >= deadline) break;
    cv_.wait_until(lock, deadline);
  }
  lock.unlock();
  throw std::runtime_error("no event {" + m.str() + "} within " + std::to_string(timeout.count()) +
                           " ms\n" + describe());
}

std::vector<json> LimitedJinx::find(const Match& m) const {
  std::lock_guard lock(mu_);
  std::vector<json> found;
  for (const auto& e : events_)
    if (m(e)) found.push_back(e);
  return found;
}

std::string LimitedJinx::listen_address(const std::string& proxy, ms timeout) {
  return wait_event(ev("proxy_listen").with("proxy", proxy), timeout)["listen"].get<std::string>();
}

void LimitedJinx::send_signal(int sig) {
  if (!status_ && pid_ > 0) kill(pid_, sig);
}

bool LimitedJinx::reap(int flags) {
  int st = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &st, flags);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.exited = true;
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  std::lock_guard lock(mu_);
  status_ = s;
  return true;
}

bool LimitedJinx::running() {
  return !status_ && !reap(WNOHANG);
}

ExitStatus LimitedJinx::wait_exit(ms timeout) {
  auto deadline = Clock::now() + timeout;
  while (!status_ && !reap(WNOHANG)) {
    if (Clock::now() >= deadline) {
      ExitStatus s;
      s.timed_out = true;
      return s;
    }
    std::this_thread::sleep_for(5ms);
  }
  return *status_;
}

std::string LimitedJinx::describe() const {
  std::ostringstream s;
  std::lock_guard lock(mu_);
  s << "--- jinx (ulimit -n limited, pid " << pid_ << ")";
  if (status_) s << " " << status_->str();
  s << "\n--- scenario:\n"
    << scenario_ << "\n--- stdout (last 40 of " << lines_.size() << " lines):\n";
  for (size_t i = lines_.size() > 40 ? lines_.size() - 40 : 0; i < lines_.size(); ++i)
    s << lines_[i] << "\n";
  s << "--- stderr:\n" << stderr_ << "\n---";
  return s.str();
}

}  // namespace jinx_test
