#include "wrapped_command.h"

#include <csignal>
#include <cstring>

#include "address.h"

extern char** environ;

namespace jinx {
namespace {

constexpr uint64_t kKillAfterMs = 5000;

// Our environment without the variables `env` sets, then `env`.
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : env) {
      if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
          entry[name.size()] == '=') {
        replaced = true;
      }
    }
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> proxy_environment(const std::string& proxy,
                                                                   const std::string& address) {
  std::string name = env_name_for_proxy(proxy);
  std::string host;
  uint16_t port = 0;
  std::string err;
  std::vector<std::pair<std::string, std::string>> env{{name, address}};
  // psql, pgbench and redis-cli take host and port apart, and no shell runs
  // between jinx and the command to split them.
  if (split_host_port(address, &host, &port, &err)) {
    env.emplace_back(name + "_HOST", host);
    env.emplace_back(name + "_PORT", std::to_string(port));
  }
  return env;
}

int WrappedCommand::start(uv_loop_t* loop, const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env,
                          ExitCallback on_exit) {
  on_exit_ = std::move(on_exit);
  std::vector<std::string> env_strings = environment_with(env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_INHERIT_FD;
  stdio[0].data.fd = 0;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 2;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t opts{};
  opts.file = args[0];
  opts.args = args.data();
  opts.env = envp.data();
  opts.stdio = stdio;
  opts.stdio_count = 3;
  opts.flags = UV_PROCESS_DETACHED;  // setsid(): a process group of its own
  opts.exit_cb = [](uv_process_t* p, int64_t status, int term_signal) {
    auto* self = static_cast<WrappedCommand*>(p->data);
    self->running_ = false;
    uv_timer_stop(&self->kill_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr);
    self->on_exit_(term_signal != 0 ? -1 : status, term_signal);
  };
  process_.data = this;
  int rc = uv_spawn(loop, &process_, &opts);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&process_), nullptr);
    return rc;
  }
  uv_timer_init(loop, &kill_timer_);
  kill_timer_.data = this;
  pid_ = process_.pid;
  started_ = running_ = true;
  return 0;
}

void WrappedCommand::signal_group(int signum) {
  // uv_spawn returned after the child's exec, so its setsid() has run and
  // the group's id is its pid.
  if (started_) kill(-pid_, signum);
}

void WrappedCommand::terminate() {
  // Also after the command exited: what it left behind in its group goes too.
  signal_group(SIGTERM);
  if (!running_) return;
  uv_timer_start(
      &kill_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<WrappedCommand*>(t->data);
        if (self->running_) self->signal_group(SIGKILL);
      },
      kKillAfterMs, 0);
}

void WrappedCommand::kill_now() {
  signal_group(SIGKILL);
}

}  // namespace jinx
