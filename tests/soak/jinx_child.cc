#include "jinx_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "child_process.h"
#include "proc_stat.h"
#include "socket.h"

namespace soak {

JinxChild::JinxChild(Loop& loop, const std::string& binary, const std::vector<std::string>& args,
                     OnEvent on_event)
    : loop_(loop), on_event_(std::move(on_event)) {
  jinx_test::SpawnSpec spec;
  spec.argv = {binary};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.die_with_parent = true;
  auto [out_r, out_w] = jinx_test::make_pipe();
  auto [err_r, err_w] = jinx_test::make_pipe();
  spec.stdout_fd = out_w;
  spec.stderr_fd = err_w;
  std::string err;
  pid_ = jinx_test::spawn(spec, &err);
  close(out_w);
  close(err_w);
  if (pid_ < 0) {
    close(out_r);
    close(err_r);
    throw std::runtime_error("jinx_soak: " + err);
  }
  out_.fd = out_r;
  err_.fd = err_r;
  out_.is_stdout = true;
  for (Pipe* p : {&out_, &err_}) {
    p->owner = this;
    fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
    loop_.add(p->fd, EPOLLIN, p);
  }
}

JinxChild::~JinxChild() {
  kill_now();
  close_pipe(out_);
  close_pipe(err_);
}

void JinxChild::close_pipe(Pipe& p) {
  if (p.fd < 0) return;
  loop_.remove(p.fd);
  close(p.fd);
  p.fd = -1;
}

void JinxChild::Pipe::on_events(uint32_t /*events*/) {
  char buf[1 << 16];
  for (int i = 0; i < 16 && fd >= 0; ++i) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      if (!is_stdout) {
        text.append(buf, static_cast<size_t>(n));
        if (text.size() > 16384) text.erase(0, text.size() - 16384);
        continue;
      }
      text.append(buf, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        owner->take_line(text.substr(start, nl - start));
      text.erase(0, start);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      if (is_stdout && !text.empty()) owner->take_line(text);
      text.clear();
      owner->close_pipe(*this);
    } else {
      break;
    }
  }
}

void JinxChild::take_line(const std::string& line) {
  ++lines_;
  json e = json::parse(line, nullptr, false);
  if (e.is_discarded() || !e.is_object()) {
    ++bad_lines_;
    return;
  }
  on_event_(e);
}

void JinxChild::signal(int sig) {
  if (!status_ && pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> JinxChild::poll_exit() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
  return status_;
}

void JinxChild::kill_now() {
  if (pid_ <= 0 || status_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
}

ProcSample sample_proc(pid_t pid) {
  ProcSample s;
  s.rss_kib = jinx_test::rss_kib(pid);
  s.fds = jinx_test::open_fds(pid);
  s.cpu_s = jinx_test::cpu_seconds(pid);
  return s;
}

}  // namespace soak
