#include "jinx_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "spawn.h"
#include "text.h"

namespace jinx_test {
namespace {

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Opens a pseudo-terminal pair; returns {master, slave}.
std::pair<int, int> open_pty() {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
    throw std::runtime_error("cannot open a pseudo-terminal");
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) throw std::runtime_error("ptsname_r failed");
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) throw std::runtime_error(std::string("cannot open ") + name);
  winsize ws{};
  ws.ws_row = 30;
  ws.ws_col = 100;
  ioctl(master, TIOCSWINSZ, &ws);
  return {master, slave};
}

}  // namespace

std::string ExitStatus::str() const {
  if (timed_out) return "still running (timed out)";
  if (exited) return "exited with code " + std::to_string(code);
  return std::string("killed by signal ") + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

JinxProcess::JinxProcess(std::vector<std::string> args, Options opts)
    : args_(std::move(args)), opts_(std::move(opts)) {
  // Writing a scenario to the stdin of a jinx that already exited must fail
  // with EPIPE, not kill the test program. (The child gets SIG_DFL back.)
  static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  if (!opts_.dir) opts_.dir = std::make_shared<TempDir>();
  start();
}

std::unique_ptr<JinxProcess> JinxProcess::run(std::string_view scenario,
                                              std::vector<std::string> options,
                                              std::vector<std::string> command, Options opts) {
  if (!opts.dir) opts.dir = std::make_shared<TempDir>();
  std::vector<std::string> args{"run"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(opts.dir->write("scenario.toml", scenario));
  if (!command.empty()) {
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
  }
  opts.scenario = std::string(scenario);
  return std::make_unique<JinxProcess>(std::move(args), std::move(opts));
}

std::unique_ptr<JinxProcess> JinxProcess::run_stdin(std::string_view scenario,
                                                    std::vector<std::string> options) {
  std::vector<std::string> args{"run"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("-");
  Options opts;
  opts.stdin_text = std::string(scenario);
  opts.scenario = std::string(scenario);
  return std::make_unique<JinxProcess>(std::move(args), std::move(opts));
}

void JinxProcess::start() {
  SpawnSpec spec;
  spec.argv = {JINX_BINARY};
  spec.argv.insert(spec.argv.end(), args_.begin(), args_.end());
  spec.env = opts_.env;
  spec.open_files = opts_.open_files;
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = opts_.stderr_pty ? open_pty() : make_pipe();
  int in_r = -1;
  if (opts_.stdin_text) std::tie(in_r, in_fd_) = make_pipe();
  spec.stdin_fd = in_r;
  spec.stdout_fd = out_w;
  spec.stderr_fd = err_w;
  std::string err;
  pid_ = spawn(spec, &err);
  for (int fd : {out_w, err_w, in_r})
    if (fd >= 0) close(fd);
  out_fd_ = out_r;
  err_fd_ = err_r;
  if (pid_ < 0) throw std::runtime_error("cannot start jinx: " + err);
  set_nonblocking(out_fd_);
  set_nonblocking(err_fd_);
  if (in_fd_ >= 0) set_nonblocking(in_fd_);
  reader_ = std::thread([this] { reader_loop(); });
}

JinxProcess::~JinxProcess() {
  if (!status_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    reap(0);
  }
  if (pid_ > 0) kill(-pid_, SIGKILL);  // leftovers of the group (a wrapped command)
  {
    std::lock_guard lock(mu_);
    stop_reader_ = true;
  }
  if (reader_.joinable()) reader_.join();
  for (int fd : {out_fd_, err_fd_, in_fd_})
    if (fd >= 0) close(fd);
}

void JinxProcess::take_stdout(const char* data, size_t n, std::string& partial) {
  partial.append(data, n);
  auto now = Clock::now();
  size_t start = 0;
  std::vector<Event> fresh;
  for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    Event e;
    e.raw = partial.substr(start, nl - start);
    e.arrived = now;
    e.body = json::parse(e.raw, nullptr, false);
    if (e.body.is_discarded()) e.body = nullptr;
    fresh.push_back(std::move(e));
  }
  partial.erase(0, start);
  if (fresh.empty()) return;
  std::lock_guard lock(mu_);
  for (auto& e : fresh) lines_.push_back(std::move(e));
  cv_.notify_all();
}

void JinxProcess::reader_loop() {
  std::string partial;
  std::string pending_in = opts_.stdin_text.value_or("");
  size_t in_written = 0;
  std::vector<char> buf(1 << 16);
  int out = out_fd_, err = err_fd_, in = in_fd_;
  for (;;) {
    bool paused = false;
    {
      std::lock_guard lock(mu_);
      if (stop_reader_) break;
      if (stdout_close_ && out >= 0) {
        close(out);
        out = out_fd_ = -1;
        stdout_eof_ = true;
        cv_.notify_all();
      }
      paused = stdout_paused_;
    }
    pollfd fds[3];
    int n = 0;
    if (out >= 0 && !paused) fds[n++] = {out, POLLIN, 0};
    if (err >= 0) fds[n++] = {err, POLLIN, 0};
    if (in >= 0) fds[n++] = {in, POLLOUT, 0};
    if (n == 0 && !paused) break;
    if (poll(fds, static_cast<nfds_t>(n), 50) <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == in) {
        ssize_t k = write(in, pending_in.data() + in_written, pending_in.size() - in_written);
        if (k > 0) in_written += static_cast<size_t>(k);
        if ((k < 0 && errno != EAGAIN && errno != EINTR) || in_written == pending_in.size()) {
          close(in);
          in = -1;
          std::lock_guard lock(mu_);
          in_fd_ = -1;
        }
        continue;
      }
      ssize_t k = read(fd, buf.data(), buf.size());
      if (k > 0) {
        if (fd == out) {
          take_stdout(buf.data(), static_cast<size_t>(k), partial);
        } else {
          std::lock_guard lock(mu_);
          stderr_.append(buf.data(), static_cast<size_t>(k));
          cv_.notify_all();
        }
      } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
        // EOF, or EIO on a pty whose slave side is gone.
        if (fd == out) {
          if (!partial.empty()) take_stdout("\n", 1, partial);
          out = -1;
          std::lock_guard lock(mu_);
          stdout_eof_ = true;
          cv_.notify_all();
        } else {
          err = -1;
          std::lock_guard lock(mu_);
          stderr_eof_ = true;
          cv_.notify_all();
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  stdout_eof_ = true;
  stderr_eof_ = true;
  cv_.notify_all();
}

Event JinxProcess::wait(const EventPred& pred, ms timeout, const std::string& what) {
  auto deadline = Clock::now() + timeout;
  std::string why;
  {
    std::unique_lock lock(mu_);
    size_t scanned = 0;
    for (;;) {
      for (; scanned < lines_.size(); ++scanned) {
        const Event& e = lines_[scanned];
        if (e.body.is_null()) continue;
        bool match = false;
        try {
          match = pred(e.body);
        } catch (const std::exception&) {
          match = false;
        }
        if (match) return e;
      }
      if (stdout_eof_) {
        why = "jinx closed stdout before";
        break;
      }
      if (Clock::now() >= deadline) {
        why = "timed out after " + std::to_string(timeout.count()) + " ms waiting for";
        break;
      }
      cv_.wait_until(lock, deadline);
    }
  }
  if (why.rfind("jinx closed", 0) == 0) settle();
  throw std::runtime_error(why + " event {" + what + "}\n" + describe());
}

std::vector<Event> JinxProcess::wait_count(const EventPred& pred, size_t n, ms timeout,
                                           const std::string& what) {
  auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    std::vector<Event> found = matching(pred);
    if (found.size() >= n) return found;
    if (stdout_eof_ || Clock::now() >= deadline) {
      bool eof = stdout_eof_;
      lock.unlock();
      if (eof) settle();
      throw std::runtime_error("wanted " + std::to_string(n) + " events {" + what + "}, got " +
                               std::to_string(found.size()) +
                               (eof ? " before stdout closed\n" : " before the timeout\n") +
                               describe());
    }
    cv_.wait_until(lock, deadline);
  }
}

std::vector<Event> JinxProcess::find(const EventPred& pred) const {
  std::lock_guard lock(mu_);
  return matching(pred);
}

std::vector<Event> JinxProcess::matching(const EventPred& pred) const {
  std::vector<Event> found;
  for (const Event& e : lines_) {
    if (e.body.is_null()) continue;
    try {
      if (pred(e.body)) found.push_back(e);
    } catch (const std::exception&) {
      // A predicate that reads a field the event lacks: no match.
    }
  }
  return found;
}

std::vector<Event> JinxProcess::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::string JinxProcess::stderr_text() const {
  std::lock_guard lock(mu_);
  return stderr_;
}

std::string JinxProcess::listen_address(const std::string& proxy, ms timeout) {
  json e = wait_event(ev("proxy_listen").with("proxy", proxy), timeout);
  if (!has_string(e, "listen"))
    throw std::runtime_error("proxy_listen without a string 'listen': " + e.dump());
  return e["listen"].get<std::string>();
}

void JinxProcess::pause_stdout() {
  std::lock_guard lock(mu_);
  stdout_paused_ = true;
}

void JinxProcess::resume_stdout() {
  std::lock_guard lock(mu_);
  stdout_paused_ = false;
}

void JinxProcess::close_stdout() {
  std::lock_guard lock(mu_);
  stdout_close_ = true;
}

void JinxProcess::send_signal(int sig) {
  if (!status_ && pid_ > 0) kill(pid_, sig);
}

bool JinxProcess::reap(int flags) {
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

void JinxProcess::settle() {
  auto deadline = Clock::now() + 1000ms;
  while (!status_ && !reap(WNOHANG) && Clock::now() < deadline) std::this_thread::sleep_for(2ms);
}

bool JinxProcess::running() {
  if (status_) return false;
  return !reap(WNOHANG);
}

ExitStatus JinxProcess::wait_exit(ms timeout) {
  auto deadline = Clock::now() + timeout;
  while (!status_) {
    if (reap(WNOHANG)) break;
    if (Clock::now() >= deadline) {
      ExitStatus s;
      s.timed_out = true;
      return s;
    }
    std::this_thread::sleep_for(2ms);
  }
  // Let the reader drain what jinx printed on stdout and stderr before it
  // exited (bounded: a wrapped command may still hold the pipes).
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, 2000ms, [this] { return (stdout_eof_ || stdout_paused_) && stderr_eof_; });
  return *status_;
}

std::string JinxProcess::describe() const {
  std::ostringstream s;
  s << "--- jinx";
  for (const auto& a : args_) s << ' ' << a;
  s << " (pid " << pid_ << ")\n";
  std::lock_guard lock(mu_);
  if (status_) s << "--- " << status_->str() << "\n";
  if (!opts_.scenario.empty()) s << "--- scenario:\n" << opts_.scenario << "\n";
  size_t first = lines_.size() > 80 ? lines_.size() - 80 : 0;
  s << "--- stdout (" << lines_.size() << " lines" << (first ? ", last 80" : "") << "):\n";
  for (size_t i = first; i < lines_.size(); ++i) s << lines_[i].raw << "\n";
  std::string err = stderr_.size() > 4000 ? "..." + stderr_.substr(stderr_.size() - 4000) : stderr_;
  s << "--- stderr:\n" << err << (err.empty() || err.back() == '\n' ? "" : "\n") << "---";
  return s.str();
}

Completed run_jinx(std::vector<std::string> args, JinxProcess::Options opts, ms timeout) {
  JinxProcess p(std::move(args), std::move(opts));
  Completed c;
  c.status = p.wait_exit(timeout);
  for (const Event& e : p.lines()) c.out.push_back(e.raw);
  c.err = p.stderr_text();
  c.report = p.describe();
  return c;
}

}  // namespace jinx_test
